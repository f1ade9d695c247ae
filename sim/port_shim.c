/*
 * itinerad-port-shim.so: an LD_PRELOAD library that moves the listening ports the Osmocom
 * daemons do not let a config change (osmo-hlr's GSUP server 4222, the CTRL interfaces 4259 and
 * 4255: their `ctrl` node takes no port) to ports of the simulated network's own range, so that
 * several networks and other services can run side by side. ITIN_PORT_MAP="4222=24222,4259=24259"
 * lists the moves; bind() to an IPv4 or IPv6 address with a listed port binds the new port.
 * It must not touch anything but bind(), and does nothing when ITIN_PORT_MAP is unset.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PORT_SHIM_MAX 8

static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static struct {
	uint16_t from, to;
} port_map[PORT_SHIM_MAX];
static unsigned port_map_len;

/* "A=B,C=D"; parsing stops at the first malformed pair (a daemon has no one to tell). */
__attribute__((constructor)) static void port_shim_init(void)
{
	const char *s = getenv("ITIN_PORT_MAP");

	real_bind = dlsym(RTLD_NEXT, "bind");
	while (s && *s && port_map_len < PORT_SHIM_MAX) {
		char *end;
		unsigned long from = strtoul(s, &end, 10), to;

		if (*end != '=')
			break;
		to = strtoul(end + 1, &end, 10);
		if (from && from < 65536 && to && to < 65536) {
			port_map[port_map_len].from = (uint16_t)from;
			port_map[port_map_len].to = (uint16_t)to;
			port_map_len++;
		}
		s = *end == ',' ? end + 1 : "";
	}
}

static uint16_t port_shim_lookup(uint16_t port_be)
{
	for (unsigned i = 0; i < port_map_len; i++)
		if (htons(port_map[i].from) == port_be)
			return htons(port_map[i].to);
	return port_be;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (addr && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, addr, sizeof(sin));
		sin.sin_port = port_shim_lookup(sin.sin_port);
		return real_bind(fd, (const struct sockaddr *)&sin, sizeof(sin));
	}
	if (addr && addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, addr, sizeof(sin6));
		sin6.sin6_port = port_shim_lookup(sin6.sin6_port);
		return real_bind(fd, (const struct sockaddr *)&sin6, sizeof(sin6));
	}
	return real_bind(fd, addr, len);
}
