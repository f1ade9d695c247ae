/*
 * What the channel harnesses (fuzz_smpp.c, fuzz_gsup.c) put around a channel: its config, the
 * log, an event loop, and a stand-in for service/request.c (the functions of service/request.h
 * that channels call, with no database).
 */
#pragma once

#include <stdbool.h>

#include <event2/event.h>

#include "common/config.h"

/* Set when ITIN_FUZZ_LOG is: the harness prints what it sent, the log goes to stderr. */
extern bool fuzz_verbose;

/* Logging (formatted, to stderr only when fuzz_verbose), the event base, the requests' config
 * (it renders the replies). Once, before anything else. */
struct event_base *fuzz_init(const char *program, const struct itin_config *cfg);
/* A config from the text of a config file. */
struct itin_config *fuzz_config(const char *text);
/* Runs what is ready (the deferred callbacks of bufferevent pairs, and what they lead to),
 * never waiting: timers run only if they are due. */
void fuzz_settle(void);

/* Accepts each waiting request, then hands its channel the reply, as the database would
 * between two reads. */
void fuzz_requests_answer(void);
/* The harness freed the waiting requests with their channel. */
void fuzz_requests_forget(void);
