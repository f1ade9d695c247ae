// A scriptable SMSC for itinerad's SMPP tests, built on the npm `smpp` package (a peer we did
// not write). It listens on 127.0.0.1:PORT, plays a scenario and prints one JSON line per PDU
// the ESME sends (sequence numbers left out: a response names the PDU it answers instead;
// short_message as hex of the raw octets), plus one line per connection the ESME closes and
// per scenario action, so a test can compare the whole conversation with a golden file.
//
// usage: node smsc.js PORT SCENARIO      (exit 0 at `end`, 1 when a wait times out)
// When $SMSC_READY names a file, it is created once the port listens.
//
// Scenario lines (# starts a comment). Policy, in force until changed:
//   bind-answer STATUS...    answer the next binds with these statuses (names like
//                            ESME_RALYBND or numbers); afterwards: 0 if the password is
//                            "secret", else ESME_RINVPASWD
//   submit-answer STATUS...  answer the next submit_sm with these (`none`: never answer;
//                            `hold`: answer at `release`); afterwards 0 with message_id m1, ...
//   ignore-enquire on|off    leave enquire_link unanswered
//   mute COMMAND             do not print COMMAND PDUs (waits still count them)
//   print COMMAND            print the last COMMAND PDU now (for PDUs of two connections
//                            whose order is not defined)
// Waits (each prints nothing; totals count from the start, so a PDU that came early counts):
//   wait COMMAND TOTAL       until TOTAL PDUs of COMMAND have come (COMMAND `closed`:
//                            connections the ESME closed); 20 s at most
// Actions (each printed as {"step":...}):
//   deliver FROM TO TEXT     deliver_sm: TON 1 NPI 1, esm_class 0, data_coding 0
//   deliver-osmo FROM TO TEXT  as osmo-msc: source TON 3 NPI 1, esm_class 0x01, data_coding 1
//   deliver-payload FROM TO TEXT  empty short_message, the text in message_payload
//   receipt FROM TO          a delivery receipt (esm_class 0x04)
//   alert FROM               alert_notification (it has no response)
//   raw HEX...               these octets as they are (garbage, unknown commands); a word
//                            HEX*N stands for N times HEX (large PDUs)
//   release STATUS           answer the oldest held submit_sm
//   unbind                   the SMSC unbinds
//   drop                     the SMSC closes the connection
//   term                     SIGTERM to the pid in the file $ESME_PIDFILE
//   sleep MS
//   end
'use strict';
const smpp = require('smpp');
const { PDU } = require('smpp/lib/pdu');
const fs = require('fs');

const port = +process.argv[2];
const steps = fs.readFileSync(process.argv[3], 'utf8').split('\n')
	.map((l) => l.replace(/#.*/, '').trim()).filter((l) => l);

// Keep each PDU's raw octets, to print exactly what the ESME sent.
const fromBuffer = PDU.prototype.fromBuffer;
PDU.prototype.fromBuffer = function (buffer) {
	this.raw = Buffer.from(buffer);
	return fromBuffer.call(this, buffer);
};

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const status = (s) => (s in smpp ? smpp[s] : +s);

let bindAnswers = [];
let submitAnswers = [];
let ignoreEnquire = false;
const muted = new Set();
const last = {};		// command -> its last line
const totals = {};
const labels = {};		// our sequence number -> what we sent
let labelCount = {};
let current = null;		// the session deliveries go to (transceiver or receiver)
const sessions = new Set();
let messageIds = 0;
const held = [];
let wake = null;

function count(what) {
	totals[what] = (totals[what] || 0) + 1;
	if (wake) wake();
}

function label(kind, seq) {
	labelCount[kind] = (labelCount[kind] || 0) + 1;
	labels[seq] = `${kind} ${labelCount[kind]}`;
}

// short_message of a submit_sm as sent: the last mandatory field, after sm_length.
function rawShortMessage(pdu) {
	const body = pdu.raw.slice(16);
	let off = 0;
	const cstr = () => { off = body.indexOf(0, off) + 1; };
	cstr(); off += 2; cstr(); off += 2; cstr(); off += 3; cstr(); cstr(); off += 4;
	return body.slice(off + 1, off + 1 + body[off]);
}

function print(s, pdu) {
	const line = { recv: pdu.command, conn: s.kind };
	const resp = pdu.command_id >= 0x80000000;
	if (resp) {
		line.command_status = pdu.command_status;
		line.to = labels[pdu.sequence_number] || `unknown sequence ${pdu.sequence_number}`;
	}
	for (const key of Object.keys(pdu)) {
		if (['command', 'command_length', 'command_id', 'command_status', 'sequence_number', 'raw']
			.includes(key)) continue;
		line[key] = key === 'short_message' ? rawShortMessage(pdu).toString('hex') : pdu[key];
	}
	last[pdu.command] = line;
	if (!muted.has(pdu.command)) out(line);
}

function onBind(s, pdu) {
	let st = bindAnswers.length ? bindAnswers.shift() : (pdu.password === 'secret' ? 0 : smpp.ESME_RINVPASWD);
	s.send(pdu.response({ command_status: st, system_id: 'smsc' }));
	if (st !== 0) return;
	s.kind = { bind_transceiver: 'trx', bind_transmitter: 'tx', bind_receiver: 'rx' }[pdu.command];
	if (s.kind !== 'tx') current = s;
}

function answerSubmit(s, pdu, st) {
	s.send(pdu.response(st ? { command_status: st } : { message_id: `m${++messageIds}` }));
}

function onPdu(s, pdu) {
	print(s, pdu);
	switch (pdu.command) {
	case 'bind_transceiver': case 'bind_transmitter': case 'bind_receiver':
		onBind(s, pdu);
		break;
	case 'submit_sm': {
		const st = submitAnswers.length ? submitAnswers.shift() : 0;
		if (st === 'hold') held.push({ s, pdu });
		else if (st !== 'none') answerSubmit(s, pdu, st);
		break;
	}
	case 'enquire_link':
		if (!ignoreEnquire) s.send(pdu.response());
		break;
	case 'unbind':
		s.send(pdu.response());
		break;
	}
	count(pdu.command);
}

const server = smpp.createServer((s) => {
	s.kind = 'unbound';
	sessions.add(s);
	s.on('error', () => {});
	s.on('pdu', (pdu) => onPdu(s, pdu));
	s.on('close', () => {
		sessions.delete(s);
		if (current === s) current = null;
		if (s.dropped) return;
		if (!muted.has('closed')) out({ event: 'closed', conn: s.kind });
		count('closed');
	});
});
server.listen(port, '127.0.0.1');

function send(pdu, kind) {
	if (!current) throw new Error('no bound session to send to');
	current.send(pdu);
	label(kind, pdu.sequence_number);
}

function deliver(kind, from, to, text) {
	const p = {
		source_addr: from, source_addr_ton: 1, source_addr_npi: 1,
		destination_addr: to, dest_addr_ton: 0, dest_addr_npi: 1,
		esm_class: 0, data_coding: 0, short_message: Buffer.from(text, 'latin1'),
	};
	if (kind === 'deliver-osmo') Object.assign(p, { source_addr_ton: 3, esm_class: 1, data_coding: 1 });
	if (kind === 'deliver-payload') {
		p.short_message = Buffer.alloc(0);
		p.message_payload = Buffer.from(text, 'latin1');
	}
	if (kind === 'receipt') {
		p.esm_class = 4;
		p.short_message = Buffer.from('id:m1 sub:001 dlvrd:001 submit date:2611230000 ' +
			'done date:2611230000 stat:DELIVRD err:000 text:', 'latin1');
	}
	send(new PDU('deliver_sm', p), 'deliver_sm');
}

function wait(what, total) {
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			out({ timeout: `${what} ${total}`, got: totals[what] || 0 });
			process.exit(1);
		}, 20000);
		wake = () => {
			if ((totals[what] || 0) < total) return;
			clearTimeout(timer);
			wake = null;
			resolve();
		};
		wake();
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run() {
	for (const step of steps) {
		const [cmd, ...args] = step.split(/\s+/);
		if (!['wait', 'bind-answer', 'submit-answer', 'ignore-enquire', 'mute', 'print', 'sleep'].includes(cmd))
			out({ step });
		switch (cmd) {
		case 'bind-answer': bindAnswers = args.map(status); break;
		case 'submit-answer':
			submitAnswers = args.map((a) => (a === 'none' || a === 'hold' ? a : status(a)));
			break;
		case 'release': {
			const h = held.shift();
			answerSubmit(h.s, h.pdu, status(args[0]));
			break;
		}
		case 'ignore-enquire': ignoreEnquire = args[0] === 'on'; break;
		case 'mute': muted.add(args[0]); break;
		case 'print': out(last[args[0]]); break;
		case 'wait': await wait(args[0], +args[1]); break;
		case 'deliver': case 'deliver-osmo': case 'deliver-payload':
			deliver(cmd, args[0], args[1], args.slice(2).join(' '));
			break;
		case 'receipt': deliver(cmd, args[0], args[1], ''); break;
		case 'alert':
			send(new PDU('alert_notification', {
				source_addr_ton: 1, source_addr_npi: 1, source_addr: args[0],
				esme_addr_ton: 0, esme_addr_npi: 1, esme_addr: '12306',
			}), 'alert_notification');
			break;
		case 'raw': {
			const buf = Buffer.from(args.map((a) => {
				const [hex, n] = a.split('*');
				return hex.repeat(n === undefined ? 1 : +n);
			}).join(''), 'hex');
			if (buf.length >= 16) label('raw', buf.readUInt32BE(12));
			current.socket.write(buf);
			break;
		}
		case 'unbind': send(new PDU('unbind'), 'unbind'); break;
		case 'drop':
			current.dropped = true;
			current.socket.destroy();
			current = null;
			break;
		case 'term': process.kill(+fs.readFileSync(process.env.ESME_PIDFILE, 'utf8'), 'SIGTERM'); break;
		case 'sleep': await sleep(+args[0]); break;
		case 'end': process.exit(0); break;
		default: throw new Error(`unknown scenario step ${step}`);
		}
	}
	throw new Error('the scenario has no end');
}
server.on('listening', () => {
	if (process.env.SMSC_READY) fs.writeFileSync(process.env.SMSC_READY, '');
	run().catch((e) => { out({ error: e.message }); process.exit(1); });
});
