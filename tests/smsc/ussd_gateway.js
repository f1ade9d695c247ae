// A USSD gateway for itinerad's SMPP-USSD tests, built on the npm `smpp` package (a peer we did
// not write): it accepts binds, plays a scenario of subscribers' USSD dialogues as deliver_sm
// with the ussd_service_op and its_session_info TLVs, and prints each submit_sm itinerad sends
// with its TLVs, its short_message in hex and its text as npm smpp decodes it.
//
// usage: node ussd_gateway.js PORT SCENARIO     (exit 0 when the scenario ends)
// When $SMSC_READY names a file, it is created once the port listens.
//
// Scenario lines (# starts a comment); BIND is the system_id of one of itinerad's binds, SI
// its_session_info as 4 hex digits (session number, then sequence << 1 | end of session) or
// "-" for none:
//   bind BIND...             wait until each of these system_ids is bound (printed)
//   packed BIND              from now on, data_coding 0 on this bind is GSM 7-bit packed: the
//                            texts we send (digits, * and #, whose GSM codes are their ASCII
//                            ones) are packed, the texts received are printed unpacked
//   sms BIND FROM TEXT       a plain deliver_sm (no TLV), as an SMSC sends an SMS
//   pssr BIND FROM SI TEXT   deliver_sm, ussd_service_op 1 (PSSR indication): TEXT dialled
//   ussr BIND FROM SI TEXT   deliver_sm, ussd_service_op 18 (USSR confirm): the answer TEXT
//   ucs2 BIND FROM SI TEXT   as ussr, TEXT in UCS2 (data_coding 8)
//   end BIND FROM SI         deliver_sm, ussd_service_op 17 and no text: the gateway ends the
//                            session (an abort or its timeout)
//   bad BIND FROM KIND       deliver_sm with TEXT "1" and KIND: missing (no ussd_service_op),
//                            unknown (ussd_service_op 3, USSN request), long (ussd_service_op
//                            of 2 octets, written raw)
//   expect N [MS]            wait until N more submit_sm than expected so far came (default
//                            10 s); each is printed as it comes
//   quiet MS                 wait MS; any submit_sm that arrives is printed (it should not)
//   exec CMD                 run a shell command, print its output
'use strict';
const smpp = require('smpp');
const { PDU } = require('smpp/lib/pdu');
const fs = require('fs');
const { execSync } = require('child_process');

const port = +process.argv[2];
const steps = fs.readFileSync(process.argv[3], 'utf8').split('\n')
	.map((l) => l.trim()).filter((l) => l && l[0] !== '#');
const DIALLED = '*#14#';

const fromBuffer = PDU.prototype.fromBuffer;
PDU.prototype.fromBuffer = function (buffer) {
	this.raw = Buffer.from(buffer);
	return fromBuffer.call(this, buffer);
};

const sessions = {};	// system_id -> session
const packed = {};	// system_id -> true: data_coding 0 is packed
let onBind = null;
let count = 0, expected = 0, waiter = null;

function out(line) { process.stdout.write(line + '\n'); }

function rawShortMessage(pdu) {
	const body = pdu.raw.slice(16);
	let off = 0;
	const cstr = () => { off = body.indexOf(0, off) + 1; };
	cstr();
	off += 2; cstr();
	off += 2; cstr();
	off += 3; cstr(); cstr();
	off += 4;
	return body.slice(off + 1, off + 1 + body[off]);
}

const siText = (b) => (b ? Buffer.from(b).toString('hex') : '-');

// GSM 7-bit packing of 3GPP TS 23.038 6.1.2.1.1: septets LSB first.
function pack7(codes) {
	const out = [];
	let acc = 0, bits = 0;
	for (const c of codes) {
		acc |= c << bits;
		bits += 7;
		while (bits >= 8) { out.push(acc & 0xff); acc >>= 8; bits -= 8; }
	}
	if (bits) out.push(acc & 0xff);
	return Buffer.from(out);
}
function unpack7(buf) {
	const codes = [];
	let acc = 0, bits = 0;
	for (const b of buf) {
		acc |= b << bits;
		bits += 8;
		while (bits >= 7) { codes.push(acc & 0x7f); acc >>= 7; bits -= 7; }
	}
	return codes;
}

function onSubmit(name, pdu) {
	count++;
	sessions[name].send(pdu.response({ message_id: String(count) }));
	const sm = rawShortMessage(pdu);
	out(`submit_sm on ${name} from ${pdu.source_addr} to ${pdu.destination_addr} ` +
		`data_coding ${pdu.data_coding} ussd_service_op ${pdu.ussd_service_op === undefined ? '-' : pdu.ussd_service_op} ` +
		`its_session_info ${siText(pdu.its_session_info)}`);
	out(`  hex ${sm.toString('hex') || '-'}`);
	if (sm.length && packed[name] && pdu.data_coding === 0) {
		const codes = unpack7(sm);
		// 7 spare bits at the end of 7 octets are no character (the sender pads them with 0)
		if (sm.length % 7 === 0 && codes[codes.length - 1] === 0) codes.pop();
		out(`  text unpacked ${JSON.stringify(smpp.encodings.ASCII.decode(Buffer.from(codes)))}`);
	} else if (sm.length) {
		out(`  text ${JSON.stringify(pdu.short_message.message)}`);
	}
	if (waiter) waiter();
}

function deliverFields(from, si) {
	const pdu = {
		source_addr: from, source_addr_ton: 1, source_addr_npi: 1,
		destination_addr: DIALLED, dest_addr_ton: 0, dest_addr_npi: 1,
		esm_class: 0, data_coding: 0,
	};
	if (si !== '-') pdu.its_session_info = Buffer.from(si, 'hex');
	return pdu;
}

function send(name, pdu, what) {
	return new Promise((resolve) => {
		sessions[name].send(pdu, (resp) => {
			out(`${what} -> ${resp.command === 'generic_nack' ? 'generic_nack ' : ''}` +
				`status 0x${resp.command_status.toString(16).padStart(2, '0')}`);
			resolve();
		});
	});
}

function deliver(op, name, from, si, text, ucs2) {
	const pdu = deliverFields(from, si);
	pdu.ussd_service_op = op;
	pdu.short_message = ucs2 ? smpp.encodings.UCS2.encode(text) :
		packed[name] ? pack7(Buffer.from(text, 'latin1')) : Buffer.from(text, 'latin1');
	if (ucs2) pdu.data_coding = 8;
	return send(name, new PDU('deliver_sm', pdu),
		`deliver_sm on ${name} op ${op} from ${from} si ${si}${ucs2 ? ' ucs2' : ''} ${JSON.stringify(text)}`);
}

// ussd_service_op of 2 octets: npm smpp writes it as int8 only, so the PDU is written raw.
function deliverLong(name, from) {
	const s = sessions[name];
	const cstr = (x) => Buffer.concat([Buffer.from(x, 'latin1'), Buffer.alloc(1)]);
	const body = Buffer.concat([cstr(''), Buffer.from([1, 1]), cstr(from), Buffer.from([0, 1]),
		cstr(DIALLED), Buffer.from([0, 0, 0]), cstr(''), cstr(''), Buffer.from([0, 0, 0, 0]),
		Buffer.from([1]), Buffer.from('1'), Buffer.from([0x05, 0x01, 0x00, 0x02, 0x01, 0x00])]);
	const hdr = Buffer.alloc(16);
	hdr.writeUInt32BE(16 + body.length, 0);
	hdr.writeUInt32BE(0x00000005, 4);
	const seq = ++s.sequence;
	hdr.writeUInt32BE(seq, 12);
	return new Promise((resolve) => {
		s._callbacks[seq] = (resp) => {
			out(`deliver_sm on ${name} ussd_service_op of 2 octets from ${from} -> ` +
				`${resp.command === 'generic_nack' ? 'generic_nack ' : ''}status 0x${resp.command_status.toString(16).padStart(2, '0')}`);
			resolve();
		};
		s.socket.write(Buffer.concat([hdr, body]));
	});
}

function bad(name, from, kind) {
	const pdu = deliverFields(from, '-');
	pdu.short_message = Buffer.from('1');
	if (kind === 'missing')
		return send(name, new PDU('deliver_sm', pdu), `deliver_sm on ${name} without ussd_service_op from ${from}`);
	if (kind === 'unknown') {
		pdu.ussd_service_op = 3;
		return send(name, new PDU('deliver_sm', pdu), `deliver_sm on ${name} op 3 from ${from}`);
	}
	if (kind === 'long') return deliverLong(name, from);
	throw new Error(`unknown bad kind ${kind}`);
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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

smpp.createServer((s) => {
	s.on('error', () => {});
	s.on('bind_transceiver', (pdu) => {
		const ok = pdu.password === 'secret';
		s.send(pdu.response({ command_status: ok ? 0 : smpp.ESME_RINVPASWD }));
		if (!ok) return;
		const name = pdu.system_id;
		if (!sessions[name]) out(`bind_transceiver system_id ${name} -> ok`);
		sessions[name] = s;
		s.on('submit_sm', (p) => { if (sessions[name] === s) onSubmit(name, p); });
		if (onBind) onBind();
	});
	s.on('enquire_link', (pdu) => s.send(pdu.response()));
	s.on('unbind', (pdu) => s.send(pdu.response()));
}).listen(port, '127.0.0.1', () => {
	if (process.env.SMSC_READY) fs.writeFileSync(process.env.SMSC_READY, '');
});

async function run() {
	for (const step of steps) {
		const [cmd, ...args] = step.split(/\s+/);
		const rest = (n) => args.slice(n).join(' ');
		switch (cmd) {
		case 'bind':
			await new Promise((r) => {
				onBind = () => { if (args.every((a) => sessions[a])) { onBind = null; r(); } };
				onBind();
			});
			break;
		case 'pssr': await deliver(1, args[0], args[1], args[2], rest(3)); break;
		case 'ussr': await deliver(18, args[0], args[1], args[2], rest(3)); break;
		case 'ucs2': await deliver(18, args[0], args[1], args[2], rest(3), true); break;
		case 'end': await deliver(17, args[0], args[1], args[2], ''); break;
		case 'bad': await bad(args[0], args[1], args[2]); break;
		case 'packed': packed[args[0]] = true; break;
		case 'sms': {
			const pdu = deliverFields(args[1], '-');
			pdu.destination_addr = '12306';
			pdu.short_message = Buffer.from(rest(2), 'latin1');
			await send(args[0], new PDU('deliver_sm', pdu), `deliver_sm on ${args[0]} (SMS) from ${args[1]} ${JSON.stringify(rest(2))}`);
			break;
		}
		case 'expect': await expect(+args[0], +(args[1] || 10000)); break;
		case 'quiet': await sleep(+args[0]); break;
		case 'exec': process.stdout.write(execSync(rest(0), { encoding: 'utf8' })); break;
		default: throw new Error(`unknown step ${cmd}`);
		}
	}
	process.exit(0);
}
run().catch((e) => { process.stderr.write(`${e.stack}\n`); process.exit(1); });
