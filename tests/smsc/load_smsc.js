// An SMSC that spreads a steady load of deliver_sm over every ESME bound to it (as a
// commercial SMSC does with several binds of one system_id), for the tests of several
// itinerad processes (tests/sms/instances.sh). Built on the npm `smpp` package.
//
// usage: node load_smsc.js PORT COUNT RATE STATUS
// Sends COUNT deliver_sm "CXMYD", each from its own number (FIRST + i, FIRST 8613900000000),
// RATE per second, round robin over the bound sessions, starting once two are bound. A
// deliver_sm is kept until an ESME answers it with status 0: one refused (any other status) is
// sent again 100 ms later, and those unanswered on a connection that closes are sent again on
// another (an SMSC keeps a message until it is acknowledged). Every submit_sm is answered 0,
// unless held (below); its first part (no UDH, or UDH part 1) counts as one reply to its
// destination. STATUS is rewritten at every change as one JSON line: sessions bound, sent
// (distinct deliver_sm sent at least once), acked, answered (numbers with a reply), replies
// (first parts in all), duplicates (replies beyond the first to a number), unexpected
// (replies to numbers never sent from), held; each number with a reply beyond the first is
// added to STATUS.duplicates.
// Commands on stdin, one a line: `hold` holds the answers of submit_sm on the sessions bound
// now (their ESME's replies stay unconfirmed: its requests stay pending), `release` answers
// them, `pause` stops sending new deliver_sm (those refused or to send again still go),
// `resume` goes on, `end` exits.
'use strict';
const smpp = require('smpp');
const { PDU } = require('smpp/lib/pdu');
const fs = require('fs');
const readline = require('readline');

const [port, count, rate] = process.argv.slice(2, 5).map(Number);
const statusFile = process.argv[5];
const FIRST = 8613900000000;

const fromBuffer = PDU.prototype.fromBuffer;
PDU.prototype.fromBuffer = function (buffer) {
	this.raw = Buffer.from(buffer);
	return fromBuffer.call(this, buffer);
};

const bound = [];		// sessions, in bind order
const queue = [];		// indexes to (re)send, in order
let next = 0;			// the next new index
let turn = 0;
const acked = new Set();
const replies = new Map();	// number -> replies
let total = 0, duplicates = 0, unexpected = 0;
const held = [];
let started = false;
let paused = false;

function status() {
	const line = JSON.stringify({
		sessions: bound.length, sent: next, acked: acked.size, answered: replies.size,
		replies: total, duplicates, unexpected, held: held.length,
	});
	fs.writeFileSync(statusFile + '.tmp', line + '\n');
	fs.renameSync(statusFile + '.tmp', statusFile);
}

// Whether a submit_sm is a reply's first part: no UDH, or a concatenation IE (8- or 16-bit
// reference) numbering it 1. The short_message as sent: the last mandatory field.
function firstPart(pdu) {
	if (!(pdu.esm_class & 0x40)) return true;
	const body = pdu.raw.slice(16);
	let off = 0;
	const cstr = () => { off = body.indexOf(0, off) + 1; };
	cstr(); off += 2; cstr(); off += 2; cstr(); off += 3; cstr(); cstr(); off += 4;
	const sm = body.slice(off + 1, off + 1 + body[off]);
	if (sm[1] === 0x00) return sm[5] === 1;
	if (sm[1] === 0x08) return sm[6] === 1;
	return true;
}

function onSubmit(s, pdu) {
	if (firstPart(pdu)) {
		const n = Number(pdu.destination_addr) - FIRST;
		if (!(n >= 0 && n < next)) unexpected++;
		const r = replies.get(n) || 0;
		if (r) {
			duplicates++;
			fs.appendFileSync(statusFile + '.duplicates', `${FIRST + n}\n`);
		}
		replies.set(n, r + 1);
		total++;
	}
	if (s.holding) held.push({ s, pdu });
	else s.send(pdu.response({ message_id: `m${total}` }));
	status();
}

function deliver(i) {
	if (!bound.length) {
		queue.unshift(i);
		return;
	}
	const s = bound[turn++ % bound.length];
	s.unacked.add(i);
	s.deliver_sm({
		source_addr: String(FIRST + i), source_addr_ton: 1, source_addr_npi: 1,
		destination_addr: '12306', dest_addr_ton: 0, dest_addr_npi: 1,
		esm_class: 0, data_coding: 0, short_message: Buffer.from('CXMYD', 'latin1'),
	}, (resp) => {
		s.unacked.delete(i);
		if (resp.command_status === 0) acked.add(i);
		else setTimeout(() => deliver(i), 100);
		status();
	});
}

function tick() {
	if (queue.length) deliver(queue.shift());
	else if (next < count && !paused) deliver(next++);
	status();
}

const server = smpp.createServer((s) => {
	s.unacked = new Set();
	s.on('error', () => {});
	s.on('pdu', (pdu) => {
		switch (pdu.command) {
		case 'bind_transceiver':
			s.send(pdu.response({ system_id: 'smsc' }));
			bound.push(s);
			if (bound.length === 2 && !started) {
				started = true;
				setInterval(tick, 1000 / rate);
			}
			status();
			break;
		case 'submit_sm': onSubmit(s, pdu); break;
		case 'enquire_link': case 'unbind': s.send(pdu.response()); break;
		}
	});
	s.on('close', () => {
		const at = bound.indexOf(s);
		if (at >= 0) bound.splice(at, 1);
		for (const i of s.unacked) queue.push(i);
		s.unacked.clear();
		status();
	});
});
server.listen(port, '127.0.0.1', status);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
	if (line === 'hold') {
		for (const s of bound) s.holding = true;
	} else if (line === 'release') {
		for (const h of held.splice(0)) {
			h.s.holding = false;
			h.s.send(h.pdu.response({ message_id: 'held' }));
		}
		for (const s of bound) s.holding = false;
	} else if (line === 'pause' || line === 'resume') {
		paused = line === 'pause';
	} else if (line === 'end') {
		process.exit(0);
	}
	status();
});
