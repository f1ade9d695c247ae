/*
 * Config parser test: every file in this directory is loaded and either its parsed values or
 * the exact refusal ("FILE:LINE: reason") is printed, so a change in parsing shows in the diff.
 * The secret files (hmac_secret_file) are written by the test into a temporary directory, as
 * their modes matter and git keeps none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include "common/config.h"

static const char *const files[] = {
	"good-full.conf", "good-minimal.conf", "bad-no-secret.conf", "bad-duration.conf",
	"bad-section.conf", "bad-key-section.conf", "bad-unknown-key.conf", "bad-mcc.conf",
	"bad-quote.conf", "bad-zone.conf", "bad-smpp-no-id.conf", "bad-smpp-twice.conf",
	"bad-rate.conf", "bad-window.conf", "bad-shutdown-date.conf", "bad-cap.conf",
	"bad-country-code.conf", "bad-smpp-name.conf", "missing-file.conf",
	"bad-placeholder.conf", "bad-short-secret.conf", "bad-weak-secret.conf",
	"bad-both-secrets.conf", "bad-smpp-password.conf", "bad-smpp-system-id.conf",
	"bad-smpp-system-type.conf", "bad-concat.conf", "bad-repeated-key.conf",
	"bad-smpp-repeated-key.conf", "sub/good-var-dir.conf", "../../doc/examples/itinerad.conf",
};

#define KEY1 "1 0123456789abcdef-key-one-7d4e1a9c2b5f8e3a\n"
#define KEY2 "2 fedcba9876543210-key-two-3b8f1e6c0a9d4e72\n"

/* Secret files: name, mode, content. Each is tried with a config of hmac_secret_file = name. */
static const struct {
	const char *name;
	mode_t mode;
	const char *text;
} secret_files[] = {
	{ "keys-good", 0640, "# the previous key first: order does not matter\n" KEY1 "\n" KEY2 },
	{ "keys-one", 0600, KEY1 },
	{ "keys-world-readable", 0644, KEY1 },
	{ "keys-group-writable", 0660, KEY1 },
	{ "keys-no-id", 0640, "0123456789abcdef-key-one-7d4e1a9c2b5f8e3a\n" },
	{ "keys-id-zero", 0640, "0 0123456789abcdef-key-one-7d4e1a9c2b5f8e3a\n" },
	{ "keys-placeholder", 0640, KEY1 "2 change-me-to-a-long-random-secret\n" },
	{ "keys-weak", 0640, "7 passwordpasswordpasswordpassword\n" },
	{ "keys-twice", 0640, KEY1 "1 fedcba9876543210-key-two-3b8f1e6c0a9d4e72\n" },
	{ "keys-three", 0640, KEY1 KEY2 "3 0a1b2c3d4e5f67890-key-three-e9d8c7b6a5f4\n" },
	{ "keys-empty", 0640, "# no key yet\n" },
	{ "keys-missing", 0, NULL },
};

static void print_text(const char *name, const char *text)
{
	if (text)
		printf("  %s = \"%s\"\n", name, text);
}

static void print_config(const struct itin_config *cfg)
{
	const struct itin_database_config *db = &cfg->database;
	const struct itin_service_config *svc = &cfg->service;
	const struct itin_gsup_config *gsup = &cfg->gsup;

	printf("  conninfo='%s' var_dir='%s' pool_size=%u audit_days=%u keys=", db->conninfo,
	       db->var_dir, db->pool_size, cfg->privacy.audit_days);
	for (unsigned i = 0; i < cfg->keys.num; i++)
		printf("%s%u", i ? "," : "", cfg->keys.key[i].id);
	printf("\n");
	printf("  country_code=%s time_zone=%s window_days=%u ends_yesterday=%d min_stay_s=%u\n",
	       svc->country_code, svc->time_zone, svc->window_days, svc->window_ends_yesterday,
	       svc->min_stay_s);
	printf("  domestic_mcc=");
	for (unsigned i = 0; i < svc->domestic_mcc.num; i++)
		printf("%s%03u", i ? "," : "", svc->domestic_mcc.mcc[i]);
	printf(" lang=%s consent=%d consent_timeout_s=%u rate=%u/%us max_parts=%u risk=%d\n",
	       itin_lang_name(svc->default_lang), svc->consent, svc->consent_timeout_s,
	       svc->rate_limit.count, svc->rate_limit.period_s, svc->max_parts, svc->risk_marker);
	printf("  shutdown_date='%s' reply_deadline_ms=%u short_code=%s keywords=", svc->shutdown_date,
	       svc->reply_deadline_ms, svc->short_code);
	for (unsigned i = 0; i < cfg->keywords.query.num; i++)
		printf("%s%s", i ? "|" : "", cfg->keywords.query.word[i]);
	printf("\n  gsup=%s:%u euse=%s session_timeout_s=%u admin='%s'\n", gsup->host,
	       gsup->port, gsup->euse_name, gsup->session_timeout_s, cfg->admin.listen);
	printf("  max_future_skew_s=%u\n", cfg->feed.max_future_skew_s);
	printf("  concat: timeout_s=%u sender %u messages %u octets, all %u messages %u octets\n",
	       cfg->sms.concat_timeout_s, cfg->sms.concat_sender_messages, cfg->sms.concat_sender_bytes,
	       cfg->sms.concat_max_messages, cfg->sms.concat_max_bytes);
	for (unsigned i = 0; i < cfg->smpp.num; i++) {
		const struct itin_smpp_link_config *l = &cfg->smpp.link[i];

		printf("  smpp %s: %s:%u id=%s pw=%s type='%s' bind=%s enquire=%us timeout=%us "
		       "window=%u rate=%u\n", l->name, l->host, l->port, l->system_id, l->password,
		       l->system_type, l->bind_mode == ITIN_SMPP_BIND_SPLIT ? "split" : "transceiver",
		       l->enquire_link_s, l->response_timeout_s, l->window, l->submit_rate);
	}
	for (int lang = ITIN_LANG_ZH; lang <= ITIN_LANG_EN; lang++) {
		const struct itin_templates *t = &cfg->templates[lang];

		printf("  templates %s:\n", itin_lang_name(lang));
		print_text("itinerary", t->itinerary);
		print_text("busy", t->busy);
		print_text("help", t->help);
	}
	printf("  max_replies=%u/%us reply_country_codes=", svc->max_replies.count,
	       svc->max_replies.period_s);
	for (unsigned i = 0; i < svc->reply_country_codes.num; i++)
		printf("%s%s", i ? "," : "", svc->reply_country_codes.cc[i]);
	printf(" answered: 8613800000001=%d 85291234567=%d 447700900123=%d\n",
	       itin_config_answers_number(svc, "8613800000001"),
	       itin_config_answers_number(svc, "85291234567"),
	       itin_config_answers_number(svc, "447700900123"));
	printf("  mcc 460 domestic=%d, 001 domestic=%d, 310 domestic=%d\n",
	       itin_config_mcc_is_domestic(svc, 460), itin_config_mcc_is_domestic(svc, 1),
	       itin_config_mcc_is_domestic(svc, 310));
}

static void write_file(const char *name, mode_t mode, const char *text)
{
	FILE *f = fopen(name, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) || chmod(name, mode)) {
		perror(name);
		exit(1);
	}
}

static void try_secret_files(void *ctx)
{
	char dir[] = "/tmp/config_test.XXXXXX", conf[64], err[512];

	if (!mkdtemp(dir) || chdir(dir)) {
		perror(dir);
		exit(1);
	}
	for (size_t i = 0; i < sizeof(secret_files) / sizeof(secret_files[0]); i++) {
		struct itin_config *cfg;
		char text[128];

		snprintf(conf, sizeof(conf), "%s.conf", secret_files[i].name);
		snprintf(text, sizeof(text), "[privacy]\nhmac_secret_file = %s\n", secret_files[i].name);
		write_file(conf, 0644, text);
		if (secret_files[i].text)
			write_file(secret_files[i].name, secret_files[i].mode, secret_files[i].text);
		cfg = itin_config_load(ctx, conf, err, sizeof(err));
		printf("%s (%s, %04o):\n", conf, secret_files[i].name, (unsigned)secret_files[i].mode);
		if (cfg)
			printf("  keys %u (current), %u: '%s', '%s'\n", cfg->keys.key[0].id,
			       cfg->keys.key[1].id, cfg->keys.key[0].secret,
			       cfg->keys.key[1].secret ? cfg->keys.key[1].secret : "");
		else
			printf("  refused: %s\n", err);
		unlink(conf);
		unlink(secret_files[i].name);
	}
	if (chdir("/") || rmdir(dir))
		perror(dir);
}

static void print_setting(void *arg, const char *setting)
{
	printf("  %s\n", setting);
}

/* What a reload from good-minimal.conf to good-full.conf would log as waiting for a restart. */
static void restart_changes(void *ctx)
{
	char err[512];
	struct itin_config *running = itin_config_load(ctx, "good-minimal.conf", err, sizeof(err));
	struct itin_config *loaded = itin_config_load(ctx, "good-full.conf", err, sizeof(err));

	printf("reload good-minimal.conf -> good-full.conf, needing a restart:\n");
	itin_config_restart_changes(running, loaded, print_setting, NULL);
	printf("reload good-full.conf -> good-minimal.conf, needing a restart:\n");
	itin_config_restart_changes(loaded, running, print_setting, NULL);
}

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "config_test");
	char err[512];

	printf("defaults:\n");
	print_config(itin_config_load(ctx, NULL, err, sizeof(err)));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct itin_config *cfg = itin_config_load(ctx, files[i], err, sizeof(err));

		printf("%s:\n", files[i]);
		if (cfg)
			print_config(cfg);
		else
			printf("  refused: %s\n", err);
	}
	restart_changes(ctx);
	try_secret_files(ctx);
	talloc_free(ctx);
	return 0;
}
