/*
 * Config parser test: every file in this directory is loaded and either its parsed values or
 * the exact refusal ("FILE:LINE: reason") is printed, so a change in parsing shows in the diff.
 */
#include <stdio.h>

#include <talloc.h>

#include "daemon/config.h"

static const char *const files[] = {
	"good-full.conf", "good-minimal.conf", "bad-no-secret.conf", "bad-duration.conf",
	"bad-section.conf", "bad-key-section.conf", "bad-unknown-key.conf", "bad-mcc.conf",
	"bad-quote.conf", "bad-zone.conf", "bad-smpp-no-id.conf", "bad-smpp-twice.conf",
	"bad-rate.conf", "bad-window.conf", "bad-shutdown-date.conf", "bad-smpp-name.conf",
	"missing-file.conf",
	"../../doc/examples/itinerad.conf",
};

static void print_text(const char *name, const char *text)
{
	if (text)
		printf("  %s = \"%s\"\n", name, text);
}

static void print_config(const struct itin_config *cfg)
{
	printf("  conninfo='%s' var_dir='%s' pool_size=%u audit_days=%u\n", cfg->conninfo,
	       cfg->var_dir, cfg->pool_size, cfg->audit_days);
	printf("  country_code=%s time_zone=%s window_days=%u ends_yesterday=%d min_stay_s=%u\n",
	       cfg->country_code, cfg->time_zone, cfg->window_days, cfg->window_ends_yesterday,
	       cfg->min_stay_s);
	printf("  domestic_mcc=");
	for (unsigned i = 0; i < cfg->domestic_mcc.num; i++)
		printf("%s%03u", i ? "," : "", cfg->domestic_mcc.mcc[i]);
	printf(" lang=%s consent=%d consent_timeout_s=%u rate=%u/%us max_parts=%u risk=%d\n",
	       itin_lang_name(cfg->default_lang), cfg->consent, cfg->consent_timeout_s,
	       cfg->rate_limit.count, cfg->rate_limit.period_s, cfg->max_parts, cfg->risk_marker);
	printf("  shutdown_date='%s' reply_deadline_ms=%u short_code=%s keywords=", cfg->shutdown_date,
	       cfg->reply_deadline_ms, cfg->short_code);
	for (unsigned i = 0; i < cfg->kw_query.num; i++)
		printf("%s%s", i ? "|" : "", cfg->kw_query.word[i]);
	printf("\n  gsup=%s:%u euse=%s session_timeout_s=%u admin='%s'\n", cfg->gsup_host,
	       cfg->gsup_port, cfg->euse_name, cfg->ussd_session_timeout_s, cfg->admin_listen);
	for (unsigned i = 0; i < cfg->num_smpp; i++) {
		const struct itin_smpp_link_config *l = &cfg->smpp[i];

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
	printf("  mcc 460 domestic=%d, 001 domestic=%d, 310 domestic=%d\n",
	       itin_config_mcc_is_domestic(cfg, 460), itin_config_mcc_is_domestic(cfg, 1),
	       itin_config_mcc_is_domestic(cfg, 310));
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
	talloc_free(ctx);
	return 0;
}
