// An SMSC for itinerad's conversation tests, built on the npm `smpp` package (a peer we did not
// write): it accepts the ESME's bind, plays a scenario of subscribers' messages and faults, and
// prints each submit_sm as a subscriber would read it: the text as npm smpp decodes it, the raw
// short_message in hex, and the reassembled text of concatenated parts. (smsc.js next to it is
// the PDU-level peer of the SMPP link tests.)
//
// usage: node conversation.js PORT SCENARIO     (exit 0 when the scenario ends)
// When $SMSC_READY names a file, it is created once the port listens.
//
// Scenario lines (# starts a comment):
//   bind                     wait for a bind (printed); the password must be "secret"
//   deliver FROM TEXT        deliver_sm from FROM (TON 1), GSM 03.38 one code per octet
//   deliver-osmo FROM TEXT   as osmo-msc sends it: TON 2, esm_class 0x01, data_coding 1
//   deliver-ucs2 FROM TEXT   data_coding 8
//   deliver-mr FROM MR TEXT  as deliver, with the user_message_reference TLV MR (the handset's
//                            TP-MR, which an SMSC keeps when it delivers a message again)
//   receipt FROM             a delivery receipt (esm_class 0x04)
//   deliver-udh FROM CODING UDH TEXT
//                            esm_class 0x40: the user data header UDH (hex, its length octet
//                            first) then TEXT in CODING (gsm: GSM 03.38 one code per octet,
//                            latin1: data_coding 3, ucs2: data_coding 8)
//   deliver-sar FROM CODING REF TOTAL SEQ TEXT
//                            TEXT with the TLVs sar_msg_ref_num REF, sar_total_segments TOTAL,
//                            sar_segment_seqnum SEQ
//   deliver-payload FROM CODING OCTETS TEXT
//                            sm_length 0 and a message_payload TLV of OCTETS octets: TEXT, then
//                            as many "x" (gsm) or "程" (ucs2) as fill it
//   deliver-bad FROM KIND    a PDU from FROM that no SMSC should send, written as raw octets:
//                            payload-cut (deliver_sm, its message_payload TLV says 160
//                            octets, 10 follow), tlv-cut (deliver_sm, a TLV header cut after
//                            its tag), sm-cut (deliver_sm, sm_length 140, 5 octets follow),
//                            addr-cut (deliver_sm ending inside destination_addr), addr-long
//                            (deliver_sm, source_addr FROM and 10 more digits: longer than
//                            SMPP allows), alert-cut (alert_notification, its TLV cut);
//                            prints the answer's command
//                            and status, or that none came within 5 s
//   expect N [MS]            wait until N more submit_sm than the scenario has expected so far
//                            came (default 10 s); each is printed as it comes
//   flood N W FROM TEXT      N deliver_sm from FROM, "TEXT 1" to "TEXT N" (distinct texts, so
//                            none is a redelivery), at most W unanswered; one line for all, with
//                            the count of each deliver_sm_resp status (10 s without an answer:
//                            the rest count as unanswered)
//   tally on|off             from on to off, submit_sm are counted instead of printed: off prints
//                            each distinct whole message (parts reassembled) with its count
//   quiet MS                 wait MS; any submit_sm that arrives is printed (it should not)
//   throttle N               answer the next N submit_sm with ESME_RTHROTTLED
//   throttled N [MS]         wait until N submit_sm were answered so since the last throttle
//                            step (default 10 s)
//   drop                     close the ESME's connection (it binds again)
//   exec CMD                 run a shell command and wait for it
// In a deliver or deliver-ucs2 step's TEXT, {code} stands for the last verification code an itinerary reply
// carried ("Code 123456789" / "验证码123456789"; at the start, $SMSC_CODE); in a flood step's,
// {n4} for the message's number in four digits (instead of " N" at the end).
//   unbind [MS]              wait until the ESME unbinds (printed when it comes; default 10 s)
//   sleep MS
'use strict';
const smpp = require('smpp');
const { PDU } = require('smpp/lib/pdu');
const fs = require('fs');
const { execSync } = require('child_process');

const port = +process.argv[2];
const steps = fs.readFileSync(process.argv[3], 'utf8').split('\n')
	.map((l) => l.trim()).filter((l) => l && l[0] !== '#');

// Keep each PDU's raw octets, to print exactly what the ESME sent.
const fromBuffer = PDU.prototype.fromBuffer;
PDU.prototype.fromBuffer = function (buffer) {
	this.raw = Buffer.from(buffer);
	return fromBuffer.call(this, buffer);
};

let session = null;
let unbound = false;
let onUnbind = null;
let binds = 0;
let onBind = null;
let throttleLeft = 0;
let throttledSince = 0;	// submit_sm answered ESME_RTHROTTLED since the last throttle step
let onThrottled = null;
let count = 0;		// submit_sm received
let expected = 0;	// submit_sm the scenario expected so far
let waiter = null;
const parts = {};
let tally = null;	// whole message -> count, while tallying
let lastCode = process.env.SMSC_CODE || '';	// the last verification code seen, for {code}

function out(line) { process.stdout.write(line + '\n'); }

// short_message of a submit_sm, from the raw PDU: skip the header and the fields before it.
function rawShortMessage(pdu) {
	const body = pdu.raw.slice(16);
	let off = 0;
	const cstr = () => { off = body.indexOf(0, off) + 1; };
	cstr();			// service_type
	off += 2; cstr();	// source TON, NPI, address
	off += 2; cstr();	// destination TON, NPI, address
	off += 3; cstr(); cstr();	// esm_class, protocol_id, priority; two times
	off += 4;		// registered_delivery, replace, data_coding, sm_default_msg_id
	return body.slice(off + 1, off + 1 + body[off]);
}

function onSubmit(pdu) {
	if (throttleLeft > 0) {
		throttleLeft--;
		throttledSince++;
		out(`submit_sm to ${pdu.destination_addr} -> answered ESME_RTHROTTLED`);
		session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
		if (onThrottled) onThrottled();
		return;
	}
	count++;
	session.send(pdu.response({ message_id: String(count) }));
	const sm = pdu.short_message;
	let head = `submit_sm from ${pdu.source_addr} (ton ${pdu.source_addr_ton}) to ${pdu.destination_addr} ` +
		`(ton ${pdu.dest_addr_ton}) data_coding ${pdu.data_coding} ` +
		`esm_class 0x${pdu.esm_class.toString(16).padStart(2, '0')}`;
	let whole = null;
	if (sm.udh && sm.udh.length) {
		const u = sm.udh[0];	// 00 03 ref total seq
		head += ` part ${u[4]}/${u[3]}`;
		const key = `${pdu.destination_addr}/${u[2]}`;
		(parts[key] = parts[key] || [])[u[4] - 1] = sm.message;
		if (parts[key].filter((x) => x !== undefined).length === u[3]) {
			whole = parts[key].join('');
			delete parts[key];
		}
	}
	const coded = /(?:Code |验证码)([0-9]{9})/.exec(whole !== null ? whole : sm.message);
	if (coded) lastCode = coded[1];
	if (tally) {
		if (!sm.udh || !sm.udh.length || whole !== null) {
			const n = sm.udh && sm.udh.length ? sm.udh[0][3] : 1;
			const key = `to ${pdu.destination_addr} in ${n} part${n > 1 ? 's' : ''}: ` +
				JSON.stringify(whole !== null ? whole : sm.message);
			tally.set(key, (tally.get(key) || 0) + 1);
		}
	} else {
		out(head);
		out(`  hex ${rawShortMessage(pdu).toString('hex')}`);
		out(`  text ${JSON.stringify(sm.message)}`);
		if (whole !== null) out(`  reassembled ${JSON.stringify(whole)}`);
	}
	if (waiter) waiter();
}

function deliverPdu(from, text, kind, mr) {
	const pdu = {
		source_addr: from, source_addr_ton: 1, source_addr_npi: 1,
		destination_addr: '12306', dest_addr_ton: 0, dest_addr_npi: 1,
		esm_class: 0, data_coding: 0, short_message: text,
	};
	if (kind === 'osmo') { pdu.source_addr_ton = 2; pdu.esm_class = 1; pdu.data_coding = 1; }
	if (kind === 'ucs2') pdu.data_coding = 8;
	if (mr !== undefined) pdu.user_message_reference = mr;
	if (kind === 'receipt') {
		pdu.esm_class = 4;
		pdu.short_message = 'id:1 sub:001 dlvrd:001 submit date:2611200000 done date:2611200000 stat:DELIVRD err:000 text:';
	}
	return new PDU('deliver_sm', pdu);
}

const codings = {
	gsm: { data_coding: 0, encode: (t) => smpp.encodings.ASCII.encode(t), filler: 'x' },
	latin1: { data_coding: 3, encode: (t) => Buffer.from(t, 'latin1'), filler: 'x' },
	ucs2: { data_coding: 8, encode: (t) => smpp.encodings.UCS2.encode(t), filler: '程' },
};

// A deliver_sm of the deliver-udh, deliver-sar and deliver-payload steps, and how its line
// names it.
function deliverRaw(from, coding, text, opts) {
	const c = codings[coding];
	if (!c) throw new Error(`unknown coding ${coding}`);
	const pdu = {
		source_addr: from, source_addr_ton: 1, source_addr_npi: 1,
		destination_addr: '12306', dest_addr_ton: 0, dest_addr_npi: 1,
		esm_class: 0, data_coding: c.data_coding,
	};
	let body = c.encode(text);
	let what = `${coding}`;
	if (opts.udh) {
		pdu.esm_class = 0x40;
		body = Buffer.concat([Buffer.from(opts.udh, 'hex'), body]);
		what += ` udh ${opts.udh}`;
	}
	if (opts.sar) {
		[pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum] = opts.sar;
		what += ` sar ${opts.sar.join('/')}`;
	}
	if (opts.payload) {
		const fill = c.encode(c.filler);
		const parts = [body];
		let n = body.length;
		while (n + fill.length <= opts.payload) { parts.push(fill); n += fill.length; }
		if (n !== opts.payload) throw new Error(`${opts.payload} octets cannot be filled`);
		pdu.message_payload = Buffer.concat(parts);
		pdu.short_message = Buffer.alloc(0);
		what += ` message_payload of ${n} octets`;
	} else {
		pdu.short_message = body;
	}
	return new Promise((resolve) => {
		session.send(new PDU('deliver_sm', pdu), (resp) => {
			out(`deliver_sm ${what} from ${from} ${JSON.stringify(text)} -> ` +
				`${resp.command === 'generic_nack' ? 'generic_nack ' : ''}status ${resp.command_status}`);
			resolve();
		});
	});
}

function deliver(from, text, kind, mr) {
	return new Promise((resolve) => {
		session.send(deliverPdu(from, text, kind, mr), (resp) => {
			out(`deliver_sm ${kind || 'gsm'}${mr !== undefined ? ` mr ${mr}` : ''} from ${from} ` +
				`${JSON.stringify(kind === 'receipt' ? 'receipt' : text)} ` +
				`-> status ${resp.command_status}`);
			resolve();
		});
	});
}

// The octets of a malformed PDU (see deliver-bad), with the session's next sequence number.
function badPdu(from, kind) {
	const cstr = (x) => Buffer.concat([Buffer.from(x, 'latin1'), Buffer.alloc(1)]);
	const tlv = (tag, len, value) => {
		const h = Buffer.alloc(4);
		h.writeUInt16BE(tag, 0);
		h.writeUInt16BE(len, 2);
		return Buffer.concat([h, value]);
	};
	let id = 0x00000005, body;
	const src = kind === 'addr-long' ? from + '0000000000' : from;
	const head = Buffer.concat([cstr(''), Buffer.from([1, 1]), cstr(src), Buffer.from([0, 1])]);
	const rest = Buffer.concat([cstr('12306'), Buffer.from([0, 0, 0]), cstr(''), cstr(''),
		Buffer.from([0, 0, 0, 0])]);
	switch (kind) {
	case 'payload-cut':
		body = Buffer.concat([head, rest, Buffer.from([0]), tlv(0x0424, 160, Buffer.from('CXMYD CXMY'))]);
		break;
	case 'tlv-cut':
		body = Buffer.concat([head, rest, Buffer.from([5]), Buffer.from('CXMYD'), Buffer.from([0x04, 0x24])]);
		break;
	case 'sm-cut':
		body = Buffer.concat([head, rest, Buffer.from([140]), Buffer.from('CXMYD')]);
		break;
	case 'addr-cut':
		body = Buffer.concat([head, Buffer.from('123')]);
		break;
	case 'addr-long':
		body = Buffer.concat([head, rest, Buffer.from([5]), Buffer.from('CXMYD')]);
		break;
	case 'alert-cut':
		id = 0x00000102;
		body = Buffer.concat([Buffer.from([1, 1]), cstr(from), Buffer.from([0, 1]), cstr('12306'),
			tlv(0x0422, 1, Buffer.alloc(0))]);
		break;
	default:
		throw new Error(`unknown deliver-bad kind ${kind}`);
	}
	const hdr = Buffer.alloc(16);
	hdr.writeUInt32BE(16 + body.length, 0);
	hdr.writeUInt32BE(id, 4);
	hdr.writeUInt32BE(++session.sequence, 12);
	return Buffer.concat([hdr, body]);
}

function deliverBad(from, kind) {
	const raw = badPdu(from, kind);
	const seq = raw.readUInt32BE(12);
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			delete session._callbacks[seq];
			out(`deliver-bad ${kind} from ${from} -> no answer`);
			resolve();
		}, 5000);
		session._callbacks[seq] = (resp) => {
			clearTimeout(timer);
			out(`deliver-bad ${kind} from ${from} -> ${resp.command} status ${resp.command_status}`);
			resolve();
		};
		session.socket.write(raw);
	});
}

function expect(n, ms) {
	const target = expected += n;
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			waiter = null;
			out(`expect ${n}: timed out with ${n - (target - count)}`);
			expected = count;
			resolve();
		}, ms);
		waiter = () => {
			if (count >= target) {
				clearTimeout(timer);
				waiter = null;
				resolve();
			}
		};
		waiter();
	});
}

function flood(n, window, from, text) {
	const numbered = (i) => (text.includes('{n4}') ? text.replace('{n4}', String(i).padStart(4, '0'))
		: `${text} ${i}`);
	const statuses = {};
	let next = 1, inFlight = 0, done = false;
	return new Promise((resolve) => {
		let timer;
		const finish = () => {
			done = true;
			const counts = Object.keys(statuses).map((st) => `status ${st} x${statuses[st]}`);
			if (inFlight) counts.push(`unanswered x${inFlight}`);
			out(`flood ${n} deliver_sm from ${from} "${numbered(1)}" to "${numbered(n)}", ${window} ` +
				`unanswered at most -> ${counts.join(', ')}`);
			resolve();
		};
		const pump = () => {
			if (done) return;
			clearTimeout(timer);
			if (next > n && inFlight === 0) {
				finish();
				return;
			}
			timer = setTimeout(finish, 10000);
			while (inFlight < window && next <= n) {
				inFlight++;
				session.send(deliverPdu(from, numbered(next++)), (resp) => {
					statuses[resp.command_status] = (statuses[resp.command_status] || 0) + 1;
					inFlight--;
					pump();
				});
			}
		};
		pump();
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function throttled(n, ms) {
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			onThrottled = null;
			out(`throttled ${n}: timed out with ${throttledSince}`);
			resolve();
		}, ms);
		onThrottled = () => {
			if (throttledSince < n) return;
			clearTimeout(timer);
			onThrottled = null;
			resolve();
		};
		onThrottled();
	});
}

function waitUnbind(ms) {
	return new Promise((resolve) => {
		if (unbound) { resolve(); return; }
		const timer = setTimeout(() => {
			onUnbind = null;
			out(`unbind: none within ${ms} ms`);
			resolve();
		}, ms);
		onUnbind = () => { clearTimeout(timer); resolve(); };
	});
}

smpp.createServer((s) => {
	s.on('error', () => {});
	s.on('bind_transceiver', (pdu) => {
		const ok = pdu.password === 'secret';
		// The first bind is part of the conversation; later ones (after a drop) go to stderr,
		// so a scenario's transcript does not depend on when a link was re-established.
		const line = `bind_transceiver system_id ${pdu.system_id} -> ${ok ? 'ok' : 'refused'}`;
		if (binds++ === 0) out(line); else process.stderr.write(line + '\n');
		s.send(pdu.response({ command_status: ok ? 0 : smpp.ESME_RINVPASWD }));
		if (!ok) return;
		session = s;
		if (onBind) { const f = onBind; onBind = null; f(); }
	});
	s.on('submit_sm', (pdu) => { if (s === session) onSubmit(pdu); });
	s.on('enquire_link', (pdu) => s.send(pdu.response()));
	s.on('unbind', (pdu) => {
		out('unbind');
		s.send(pdu.response());
		unbound = true;
		if (onUnbind) { const f = onUnbind; onUnbind = null; f(); }
	});
}).listen(port, '127.0.0.1', () => {
	if (process.env.SMSC_READY) fs.writeFileSync(process.env.SMSC_READY, '');
});

async function run() {
	for (const step of steps) {
		const [cmd, ...args] = step.split(/\s+/);
		const text = step.slice(cmd.length).trim().slice((args[0] || '').length).trim();
		switch (cmd) {
		case 'bind':
			if (!session) await new Promise((r) => { onBind = r; });
			break;
		case 'deliver': await deliver(args[0], text.replace('{code}', lastCode)); break;
		case 'deliver-osmo': await deliver(args[0], text, 'osmo'); break;
		case 'deliver-ucs2': await deliver(args[0], text.replace('{code}', lastCode), 'ucs2'); break;
		case 'deliver-mr':
			await deliver(args[0], text.slice(args[1].length).trim(), undefined, +args[1]);
			break;
		case 'receipt': await deliver(args[0], '', 'receipt'); break;
		case 'deliver-udh':
			await deliverRaw(args[0], args[1], step.split(/\s+/).slice(4).join(' '), { udh: args[2] });
			break;
		case 'deliver-sar':
			await deliverRaw(args[0], args[1], step.split(/\s+/).slice(6).join(' '),
				{ sar: [+args[2], +args[3], +args[4]] });
			break;
		case 'deliver-payload':
			await deliverRaw(args[0], args[1], step.split(/\s+/).slice(4).join(' '), { payload: +args[2] });
			break;
		case 'deliver-bad': await deliverBad(args[0], args[1]); break;
		case 'expect': await expect(+args[0], +(args[1] || 10000)); break;
		case 'flood': await flood(+args[0], +args[1], args[2], step.split(/\s+/).slice(4).join(' ')); break;
		case 'tally':
			if (args[0] === 'on') {
				tally = new Map();
			} else {
				[...tally.keys()].sort().forEach((k) => out(`${tally.get(k)} x submit_sm ${k}`));
				tally = null;
			}
			break;
		case 'quiet': await sleep(+args[0]); expected = count; break;
		case 'throttle': throttleLeft = +args[0]; throttledSince = 0; break;
		case 'throttled': await throttled(+args[0], +(args[1] || 10000)); break;
		case 'drop': out('drop'); session.socket.destroy(); session = null; break;
		case 'exec': execSync(step.slice(cmd.length).trim(), { stdio: ['ignore', 'inherit', 'inherit'] }); break;
		case 'unbind': await waitUnbind(+(args[0] || 10000)); break;
		case 'sleep': await sleep(+args[0]); break;
		default: throw new Error(`unknown scenario step ${step}`);
		}
	}
	process.exit(0);
}
run().catch((e) => { out(`scenario failed: ${e.message}`); process.exit(1); });
