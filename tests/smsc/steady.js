// A steady load through an SMSC built on the npm `smpp` package (a peer we did not write), for
// the high-availability test and bench (tests/ha/failover.sh, bench/failover.sh): it accepts
// the ESME's binds, sends RATE deliver_sm a second for SECONDS seconds, each from a subscriber
// of its own (FIRST, FIRST + 1, ...) with TEXT, at most WINDOW unanswered, and, as an SMSC
// does, delivers a deliver_sm again 1 s after the ESME answered it with an error. It accepts
// every submit_sm and counts the replies each subscriber gets (a concatenated reply counts
// once, at its first part). When every subscriber has a reply, or nothing has come for 45 s
// (time for the HA test to restart itinerad: it ends quiet only on a failure),
// it waits 2 s more for late copies and prints its summary, the same on every run when all
// goes well, and writes its figures to FIGURES.
//
// usage: node steady.js PORT RATE SECONDS FIRST WINDOW TEXT FIGURES
// When $SMSC_READY names a file, it is created once the port listens; $SMSC_SENT, once every
// deliver_sm has been sent and answered 0 (no repeat due). The figures are about
// the moment written (as milliseconds since the epoch) to the file $SMSC_MARK, when it exists
// at the end: the first reply to a deliver_sm sent after the first error that followed the
// mark and answered 0 (the database took it: after a failover, through the new primary), and
// what the ESME answered between the mark and that reply.
'use strict';
const smpp = require('smpp');
const fs = require('fs');

const [port, rate, seconds, first, window] = process.argv.slice(2, 7).map(Number);
const text = process.argv[7];
const figuresFile = process.argv[8];
const total = rate * seconds;

const sessions = new Set();
const subs = [];		// per subscriber: { okSent (the send answered 0, ms), replies: [ms] }
const statuses = {};		// deliver_sm_resp status -> count
const respLog = [];		// [ms, status]
let next = 0, inFlight = 0, unanswered = 0, lastEvent = Date.now(), busy = 0;
const retries = [];		// subscriber indexes to deliver again

const now = () => Date.now();
const out = (line) => process.stdout.write(line + '\n');

function anySession() {
	for (const s of sessions) return s;
	return null;
}

function deliver(i) {
	const s = anySession();
	if (!s) {
		setTimeout(() => deliver(i), 100);
		return;
	}
	inFlight++;
	if (!subs[i]) subs[i] = { okSent: null, replies: [], answers: 0, busies: 0 };
	const sentAt = now();
	const timer = setTimeout(() => { inFlight--; unanswered++; }, 10000);
	s.deliver_sm({
		source_addr: String(first + i), source_addr_ton: 1, source_addr_npi: 1,
		destination_addr: '12306', dest_addr_ton: 0, dest_addr_npi: 1,
		esm_class: 0, data_coding: 0, short_message: text,
	}, (resp) => {
		clearTimeout(timer);
		inFlight--;
		lastEvent = now();
		const st = resp.command_status;
		statuses[st] = (statuses[st] || 0) + 1;
		respLog.push([lastEvent, st]);
		if (st === 0) {
			subs[i].okSent = sentAt;
		} else {
			subs[i].refusedAt = subs[i].refusedAt || lastEvent;
			setTimeout(() => retries.push(i), 1000);
		}
	});
}

function pump() {
	const due = Math.min(total, Math.floor((now() - start) * rate / 1000));
	while (inFlight < window && retries.length)
		deliver(retries.shift());
	while (inFlight < window && next < due)
		deliver(next++);
}

function onSubmit(s, pdu) {
	s.send(pdu.response({ message_id: String(Math.random()).slice(2, 12) }));
	lastEvent = now();
	const sm = pdu.short_message;
	if (sm.udh && sm.udh.length && sm.udh[0][4] !== 1)
		return;
	const i = Number(pdu.destination_addr) - first;
	if (!subs[i]) {
		out(`a reply to ${pdu.destination_addr}, who asked nothing`);
		return;
	}
	subs[i].replies.push(lastEvent);
	if (/查询人数较多|查询过于频繁|service is busy|Too many/.test(sm.message)) {
		subs[i].busy = true;
		subs[i].busies++;
		busy++;
	} else {
		subs[i].answers++;
	}
}

function finish() {
	// Once: one answer, or the busy text alone. A request whose recording was in doubt when the
	// primary died gets the busy text, and its answer too if it was committed after all
	// (doc/SPEC.md section 5): the busy text asked to try again, the answer is the one reply.
	const once = (x) => x.answers === 1 || (x.answers === 0 && x.busies === 1);
	const answered = subs.filter((x) => x && once(x)).length;
	const twice = subs.filter((x) => x && !once(x) && x.replies.length > 1).length;
	const none = total - answered - twice;
	subs.forEach((x, i) => {
		if (!x || x.replies.length !== 1)
			process.stderr.write(`${first + i}: ${x ? x.replies.length : 'no'} replies\n`);
	});
	const odd = Object.keys(statuses).filter((st) => st !== '0' && st !== '100');
	out('offered: one deliver_sm per subscriber');
	out(`subscribers answered exactly once (the busy text may come before the answer): ${answered === total ? 'all' : answered}`);
	out(`subscribers answered more than once: ${twice}`);
	out(`subscribers not answered: ${none}`);
	out(`deliver_sm never answered: ${unanswered}`);
	out(`deliver_sm answered other than 0 or the temporary error 0x64: ${odd.length ? odd.join(' ') : 'none'}`);
	const tmp = statuses[100] || 0;
	let mark = null;
	try { mark = Number(fs.readFileSync(process.env.SMSC_MARK || '/nonexistent', 'utf8')); } catch (e) { }
	const fig = { replies: subs.reduce((n, x) => n + (x ? x.replies.length : 0), 0),
		temporary_errors: tmp, busy };
	if (mark) {
		// The database is known gone at the first error after the mark; a request sent
		// after that and answered 0 went through the new primary.
		const gone = (respLog.find(([t, st]) => t >= mark && st !== 0) || [mark])[0];
		let back = null;
		subs.forEach((x) => {
			if (x && x.okSent > gone && x.replies.length && (!back || x.replies[0] < back))
				back = x.replies[0];
		});
		fig.failover_ms = back ? back - mark : null;
		fig.temporary_errors_during = respLog.filter(([t, st]) => st !== 0 && t >= mark &&
			(!back || t <= back)).length;
		fig.requests_refused_during = subs.filter((x) => x && x.refusedAt >= mark &&
			(!back || x.refusedAt <= back)).length;
		fig.busy_during = subs.filter((x) => x && x.busy && x.replies[0] >= mark &&
			(!back || x.replies[0] <= back)).length;
	}
	fs.writeFileSync(figuresFile, JSON.stringify(fig) + '\n');
	process.exit(0);
}

let start = null, sentAll = false;
function watch() {
	if (start === null) {
		if (!anySession()) return;
		start = now();
		out('bound');
	}
	pump();
	if (!sentAll && next === total && !inFlight && !retries.length && process.env.SMSC_SENT) {
		sentAll = true;
		fs.writeFileSync(process.env.SMSC_SENT, '');
	}
	const done = next === total && subs.every((x) => x && x.replies.length) && !inFlight;
	if (done || now() - lastEvent > 45000) {
		clearInterval(ticker);
		setTimeout(finish, 2000);
	}
}
const ticker = setInterval(watch, 10);

smpp.createServer((s) => {
	s.on('error', () => {});
	s.on('close', () => sessions.delete(s));
	s.on('bind_transceiver', (pdu) => {
		const ok = pdu.password === 'secret';
		s.send(pdu.response({ command_status: ok ? 0 : smpp.ESME_RINVPASWD }));
		if (!ok) return;
		sessions.add(s);
		lastEvent = now();
	});
	s.on('submit_sm', (pdu) => onSubmit(s, pdu));
	s.on('enquire_link', (pdu) => s.send(pdu.response()));
	s.on('unbind', (pdu) => { s.send(pdu.response()); sessions.delete(s); });
}).listen(port, '127.0.0.1', () => {
	if (process.env.SMSC_READY) fs.writeFileSync(process.env.SMSC_READY, '');
});
