/*
 * itinerad-sctp-shim.so: an LD_PRELOAD library that lets osmo-stp, osmo-msc and the simulated
 * BSC speak M3UA on a kernel without SCTP (see sim/need-sctp-shim.sh, which says when it is
 * needed). An SCTP socket becomes a TCP socket; SCTP socket options are accepted and ignored;
 * the libsctp calls the Osmocom libraries import (nm -D: sctp_bindx and sctp_connectx from
 * libosmocore, sctp_recvmsg and sctp_send from libosmonetif and libosmo-sigtran) are defined
 * here, and unversioned definitions satisfy their versioned references. TCP has no message
 * boundaries, so sctp_recvmsg re-creates them from the M3UA common header (version 1, 32-bit
 * length at offset 4) and reports PPID 3 (M3UA) and stream 1 for transfer messages (class 1),
 * stream 0 otherwise, as RFC 4666 section 1.4.7 has it and libosmo-sigtran checks.
 * Both ends of an association must load it (it is TCP on the wire). It must not be loaded where
 * the kernel has SCTP, and it knows no protocol but M3UA (no SUA, no multi-homing, no
 * notifications).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define SHIM_M3UA_PPID		3
#define SHIM_M3UA_VERSION	1
#define SHIM_M3UA_HDR_LEN	8
#define SHIM_M3UA_CLASS_XFER	1
#define SHIM_SEND_TIMEOUT_MS	5000

static int (*real_socket)(int, int, int);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);

__attribute__((constructor)) static void shim_init(void)
{
	real_socket = dlsym(RTLD_NEXT, "socket");
	real_setsockopt = dlsym(RTLD_NEXT, "setsockopt");
	real_getsockopt = dlsym(RTLD_NEXT, "getsockopt");
}

int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	int fd, one = 1;

	if (protocol != IPPROTO_SCTP || (domain != AF_INET && domain != AF_INET6) ||
	    (base != SOCK_STREAM && base != SOCK_SEQPACKET))
		return real_socket(domain, type, protocol);
	fd = real_socket(domain, SOCK_STREAM | (type & (SOCK_NONBLOCK | SOCK_CLOEXEC)), IPPROTO_TCP);
	/* M3UA is request/answer traffic: Nagle plus delayed ACKs would add 40 ms stalls */
	if (fd >= 0)
		real_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	if (level == IPPROTO_SCTP)
		return 0;
	return real_setsockopt(fd, level, optname, optval, optlen);
}

int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	if (level == IPPROTO_SCTP) {
		if (optval && optlen)
			memset(optval, 0, *optlen);
		return 0;
	}
	return real_getsockopt(fd, level, optname, optval, optlen);
}

static socklen_t shim_addrlen(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* Multi-homing cannot be had over TCP: the first address is the one used. */
int sctp_bindx(int sd, struct sockaddr *addrs, int addrcnt, int flags)
{
	if (addrcnt < 1 || flags != SCTP_BINDX_ADD_ADDR) {
		errno = EINVAL;
		return -1;
	}
	return bind(sd, addrs, shim_addrlen(addrs));
}

int sctp_connectx(int sd, struct sockaddr *addrs, int addrcnt, sctp_assoc_t *id)
{
	if (addrcnt < 1) {
		errno = EINVAL;
		return -1;
	}
	if (id)
		*id = 1;
	return connect(sd, addrs, shim_addrlen(addrs));
}

/* A message goes out whole or the association is broken: a partial write would desynchronise
 * the peer's framing, so wait (bounded) for room rather than return a short count. */
static int shim_send_all(int sd, const void *msg, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t rc = send(sd, (const char *)msg + off, len - off, MSG_NOSIGNAL);

		if (rc >= 0) {
			off += (size_t)rc;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || off == 0)
			return -1;
		struct pollfd pfd = { .fd = sd, .events = POLLOUT };
		if (poll(&pfd, 1, SHIM_SEND_TIMEOUT_MS) != 1) {
			errno = EPIPE;
			return -1;
		}
	}
	return (int)len;
}

int sctp_send(int s, const void *msg, size_t len, const struct sctp_sndrcvinfo *sinfo, int flags)
{
	return shim_send_all(s, msg, len);
}

int sctp_sendmsg(int s, const void *msg, size_t len, struct sockaddr *to, socklen_t tolen,
		 uint32_t ppid, uint32_t flags, uint16_t stream_no, uint32_t timetolive,
		 uint32_t context)
{
	return shim_send_all(s, msg, len);
}

/* Exactly one M3UA message, or -1 with EAGAIN while it has not fully arrived (the fd stays
 * readable, so the caller's select loop comes back). */
int sctp_recvmsg(int s, void *msg, size_t len, struct sockaddr *from, socklen_t *fromlen,
		 struct sctp_sndrcvinfo *sinfo, int *msg_flags)
{
	uint8_t hdr[SHIM_M3UA_HDR_LEN];
	uint32_t mlen;
	ssize_t rc;

	rc = recv(s, hdr, sizeof(hdr), MSG_PEEK);
	if (rc <= 0)
		return (int)rc;
	if (rc < SHIM_M3UA_HDR_LEN) {
		errno = EAGAIN;
		return -1;
	}
	mlen = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 | (uint32_t)hdr[6] << 8 | hdr[7];
	if (hdr[0] != SHIM_M3UA_VERSION || mlen < SHIM_M3UA_HDR_LEN) {
		errno = EBADMSG;
		return -1;
	}
	if (mlen > len) {
		errno = EMSGSIZE;
		return -1;
	}
	rc = recv(s, msg, mlen, MSG_PEEK);
	if (rc < 0)
		return -1;
	if ((uint32_t)rc < mlen) {
		errno = EAGAIN;
		return -1;
	}
	rc = recv(s, msg, mlen, 0);
	if (rc < 0)
		return -1;
	if (sinfo) {
		memset(sinfo, 0, sizeof(*sinfo));
		sinfo->sinfo_ppid = htonl(SHIM_M3UA_PPID);
		sinfo->sinfo_stream = hdr[2] == SHIM_M3UA_CLASS_XFER ? 1 : 0;
	}
	if (msg_flags)
		*msg_flags = MSG_EOR;
	if (from && fromlen && getpeername(s, from, fromlen) < 0)
		*fromlen = 0;
	return (int)rc;
}
