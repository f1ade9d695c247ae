// Checks SMS parts with code we did not write (tests/sms/parts.sh): reads the output of
// tests/sms/parts_test on stdin and, for each reply, decodes every short_message with the npm
// smpp package (its message filter: UDH, GSM 03.38 or UCS2 by data_coding), checks the
// concatenation headers (one reference, total and sequence numbers), reassembles the parts and
// compares the text with the one parts_test printed. It then asks the npm split-sms package
// for the character set and the length of that text in SMS units and checks that the parts
// agree: the same coding, the same number of units in all, each part within 160/70 units
// alone or 153/67 with a header, and never fewer parts than split-sms needs.
// Prints one line per reply; exits 1 on any mismatch.
'use strict';

const smpp = require('smpp');
const splitter = require('split-sms');

const lines = require('fs').readFileSync(0, 'utf8').split('\n');
let failed = 0;
let kase = null;

function fail(why) {
	console.log(`${kase.name}: ${why}`);
	failed++;
}

// Units of a text: UTF-16 code units, or septets as split-sms counts them (its "bytes": an
// extension character takes two).
function units(text, dc) {
	if (dc === 8) return Buffer.from(text, 'utf16le').length / 2;
	return splitter.split(text).bytes;
}

function check() {
	const parts = kase.parts.map((p) => {
		const pdu = { data_coding: p.dc, esm_class: p.esm };
		return { ...p, sm: smpp.filters.message.decode.call(pdu, p.raw) };
	});
	const single = parts.length === 1 && !(parts[0].esm & 0x40);
	let ref = null;
	parts.forEach((p, i) => {
		const limit = p.dc === 8 ? (single ? 70 : 67) : (single ? 160 : 153);
		if (!single) {
			const u = p.sm.udh && p.sm.udh[0];
			if (!u || u[0] !== 0 || u[1] !== 3) return fail(`part ${i + 1}: no concatenation header`);
			if (ref === null) ref = u[2];
			if (u[2] !== ref || u[3] !== parts.length || u[4] !== i + 1)
				fail(`part ${i + 1}: header ref ${u[2]} total ${u[3]} seq ${u[4]}`);
		}
		const n = units(p.sm.message, p.dc);
		if (n > limit) fail(`part ${i + 1}: ${n} units, more than ${limit}`);
	});
	const whole = parts.map((p) => p.sm.message).join('');
	if (whole !== kase.text) fail(`reassembled ${JSON.stringify(whole)}`);
	const info = splitter.split(kase.text);
	const dc = info.characterSet === 'GSM' ? 0 : 8;
	if (parts.some((p) => p.dc !== dc)) fail(`split-sms says ${info.characterSet}`);
	const total = parts.reduce((sum, p) => sum + units(p.sm.message, p.dc), 0);
	const expected = dc === 8 ? info.bytes / 2 : info.bytes;
	if (total !== expected) fail(`${total} units in the parts, split-sms counts ${expected}`);
	if (parts.length < info.parts.length) fail(`${parts.length} parts, split-sms needs ${info.parts.length}`);
	console.log(`${kase.name}: ${parts.length} parts reassemble (npm smpp); ${info.characterSet}, ` +
		`${total} units, split-sms needs ${info.parts.length} parts`);
}

for (const line of lines) {
	let m;
	if ((m = line.match(/^== ([^:]+):/))) {
		if (kase) check();
		kase = { name: m[1], parts: [], text: null };
	} else if ((m = line.match(/^text (.*)$/))) {
		kase.text = m[1].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
	} else if ((m = line.match(/^part \d+ dc (\d+) esm 0x([0-9a-f]+) len \d+ ([0-9a-f]+)$/))) {
		kase.parts.push({ dc: +m[1], esm: parseInt(m[2], 16), raw: Buffer.from(m[3], 'hex') });
	}
}
if (kase) check();
process.exit(failed ? 1 : 0);
