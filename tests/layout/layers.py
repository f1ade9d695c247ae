#!/usr/bin/env python3
"""The tree's folders as layers: reads every #include "folder/file.h" of the C sources and
prints the folders, the arrows between them (folder A includes from folder B), the arrows that
run up the layer order below or from sms/ to ussd/ and back, the folders caught in a cycle,
and the folders whose code includes libpq-fe.h. Exits 1 when anything breaks the rules:
  - a folder includes only from folders below it (LAYERS, top to bottom; sms/ and ussd/ share a
    level and never include each other);
  - sim/ includes nothing of the daemon's but common/;
  - only db/ includes libpq-fe.h or uses its types and functions (itinerad-db holds its
    blocking connection as db/'s opaque itin_db_conn);
  - engine/ calls nothing that does I/O, reads a clock or the environment.
usage: layers.py TOP_SRCDIR"""
import os, re, sys

LAYERS = [['daemon'], ['sms', 'ussd'], ['service', 'smpp'], ['db'], ['engine'], ['common']]
LIBPQ_ALLOWED = {'db'}
LIBPQ_USE = re.compile(r'\b(PQ[a-zA-Z]+\s*\(|PGresult\b|PGconn\b)')
ENGINE_FORBIDDEN = re.compile(r'\b(time|clock_gettime|gettimeofday|getenv|secure_getenv|fopen|'
                              r'fread|open|read|socket|connect|send|recv)\s*\(')
SOURCES = ['daemon', 'sms', 'ussd', 'service', 'smpp', 'db', 'engine', 'common', 'sim']
level = {f: i for i, fs in enumerate(LAYERS) for f in fs}
top = sys.argv[1]
inc = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]', re.M)

arrows, libpq, problems = {}, set(), []
for folder in SOURCES:
    for root, _, files in os.walk(os.path.join(top, folder)):
        for name in sorted(files):
            if not name.endswith(('.c', '.h', '.def')):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, top)
            text = open(path, encoding='utf-8').read()
            if folder == 'engine':
                code = re.sub(r'/\*.*?\*/|"(\\.|[^"\\])*"', '', text, flags=re.S)
                for call in sorted(set(m.group(1) for m in ENGINE_FORBIDDEN.finditer(code))):
                    problems.append(f'{rel}: the engine calls {call}()')
            if folder not in LIBPQ_ALLOWED and LIBPQ_USE.search(
                    re.sub(r'/\*.*?\*/', '', text, flags=re.S)):
                problems.append(f'{rel}: uses libpq outside db/')
            for kind, target in inc.findall(text):
                if target == 'libpq-fe.h':
                    libpq.add(folder)
                to = target.split('/')[0]
                if kind == '"' and '/' in target and to in SOURCES and to != folder:
                    arrows.setdefault((folder, to), []).append(rel)

# cycles: folders from which a folder can reach itself
def reach(a):
    seen, todo = set(), [a]
    while todo:
        for (x, y) in arrows:
            if x == todo[-1] and y not in seen:
                seen.add(y); todo.append(y); break
        else:
            todo.pop()
    return seen
in_cycle = sorted(f for f in SOURCES if f in reach(f))

upward = []
for (a, b), files in sorted(arrows.items()):
    if a == 'sim':
        bad = b != 'common'
    else:
        bad = level.get(b, -1) <= level.get(a, 99)
    if bad:
        upward.append((a, b))
        problems.append(f'{a}/ -> {b}/ runs up or across ({files[0]}, {len(files)} include(s))')
for f in sorted(libpq - LIBPQ_ALLOWED):
    problems.append(f'{f}/ includes libpq-fe.h')

rooms = sorted({f for pair in arrows for f in pair} | set(f for f in SOURCES if os.path.isdir(os.path.join(top, f))))
print(f'folders {len(rooms)}, arrows {len(arrows)}, running up or across {len(upward)}, '
      f'folders in a cycle {len(in_cycle)}')
for (a, b), files in sorted(arrows.items()):
    print(f'  {a}/ -> {b}/ ({len(files)})')
print('libpq-fe.h included in: ' + ', '.join(f + '/' for f in sorted(libpq)))
for p in problems:
    print('BROKEN: ' + p)
sys.exit(1 if problems else 0)
