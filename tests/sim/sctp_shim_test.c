/*
 * The SCTP shim (sim/sctp_shim.c, linked in here rather than preloaded): an SCTP socket pair is
 * TCP on 127.0.0.1:24290, and sctp_recvmsg hands out exactly one M3UA message per call however
 * the bytes arrive (split header, split body, two messages in one segment), with PPID 3 and
 * stream 1 only for transfer messages; it refuses what is not M3UA or does not fit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TEST_PORT 24290

static int cli, srv;

/* An M3UA message: version 1, class, type, length, then body bytes 0xa0, 0xa1, ... */
static size_t m3ua(uint8_t *buf, uint8_t cls, uint8_t type, uint32_t len)
{
	buf[0] = 1;
	buf[1] = 0;
	buf[2] = cls;
	buf[3] = type;
	buf[4] = len >> 24;
	buf[5] = len >> 16;
	buf[6] = len >> 8;
	buf[7] = len;
	for (uint32_t i = 8; i < len; i++)
		buf[i] = 0xa0 + i - 8;
	return len;
}

/* Waits until the server side has something to read (loopback delivers in order). */
static void settle(void)
{
	struct pollfd p = { .fd = srv, .events = POLLIN };

	poll(&p, 1, 1000);
}

static void recv_one(const char *what, size_t buflen)
{
	uint8_t buf[256];
	struct sctp_sndrcvinfo sinfo;
	int flags = -1, rc;

	settle();
	rc = sctp_recvmsg(srv, buf, buflen, NULL, NULL, &sinfo, &flags);
	if (rc < 0) {
		printf("%s: -1 %s\n", what, errno == EAGAIN ? "EAGAIN" : errno == EMSGSIZE ? "EMSGSIZE" :
		       errno == EBADMSG ? "EBADMSG" : strerror(errno));
		return;
	}
	printf("%s: %d bytes class %u type %u ppid %u stream %u flags%s, last byte 0x%02x\n", what, rc,
	       buf[2], buf[3], ntohl(sinfo.sinfo_ppid), sinfo.sinfo_stream,
	       flags & MSG_EOR ? " EOR" : "", buf[rc - 1]);
}

static void send_bytes(const uint8_t *b, size_t n)
{
	if (send(cli, b, n, 0) != (ssize_t)n)
		printf("send failed: %s\n", strerror(errno));
}

int main(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(TEST_PORT) };
	uint8_t a[64], b[64], c[512];
	int lsn, rc, one = 1, opt = 7, type = -1;
	socklen_t optlen = sizeof(opt), tlen = sizeof(type);
	sctp_assoc_t assoc = 0;
	size_t na, nb;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lsn = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	cli = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	getsockopt(lsn, SOL_SOCKET, SO_PROTOCOL, &type, &tlen);
	printf("socket(SCTP): %s, protocol %s\n", lsn >= 0 && cli >= 0 ? "ok" : "failed",
	       type == IPPROTO_TCP ? "TCP" : "not TCP");
	setsockopt(lsn, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	printf("setsockopt(SCTP_NODELAY): %d\n", setsockopt(lsn, IPPROTO_SCTP, SCTP_NODELAY, &one,
							     sizeof(one)));
	rc = getsockopt(lsn, IPPROTO_SCTP, SCTP_NODELAY, &opt, &optlen);
	printf("getsockopt(SCTP_NODELAY): %d value %d\n", rc, opt);
	printf("sctp_bindx: %d\n", sctp_bindx(lsn, (struct sockaddr *)&sin, 1, SCTP_BINDX_ADD_ADDR));
	listen(lsn, 1);
	rc = sctp_connectx(cli, (struct sockaddr *)&sin, 1, &assoc);
	printf("sctp_connectx: %d assoc %d\n", rc, (int)assoc);
	srv = accept(lsn, NULL, NULL);

	na = m3ua(a, 3, 1, 16);		/* ASPSM ASP Up */
	nb = m3ua(b, 1, 1, 40);		/* Transfer DATA */
	send_bytes(a, 5);
	recv_one("5 of 16 bytes", 256);
	send_bytes(a + 5, 6);
	recv_one("11 of 16 bytes", 256);
	send_bytes(a + 11, na - 11);
	recv_one("ASP Up whole", 256);
	memcpy(c, a, na);
	memcpy(c + na, b, nb);
	send_bytes(c, na + nb);
	recv_one("two in one segment, first", 256);
	recv_one("two in one segment, second", 256);
	printf("sctp_send: %d\n", sctp_send(cli, b, nb, NULL, 0));
	recv_one("DATA, buffer of 32", 32);
	recv_one("DATA, buffer of 40", 40);
	printf("sctp_sendmsg: %d\n", sctp_sendmsg(cli, a, na, NULL, 0, htonl(3), 0, 0, 0, 0));
	recv_one("ASP Up by sctp_sendmsg", 256);
	c[0] = 2;
	send_bytes(c, 8);
	recv_one("version 2", 256);
	close(cli);
	close(srv);
	close(lsn);
	return 0;
}
