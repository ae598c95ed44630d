#!/usr/bin/env python3
"""Writes a git fast-import stream of a large history built from source
trees on this machine. Every text file under the given folders is added
over the first 80 % of the history, and each commit also edits one small
file. A side branch is merged every 100 commits, and a few fake tokens are
planted so that the scan has findings to report.

usage: git-history.py COMMITS FOLDER... | git fast-import
"""
import os
import random
import sys

MAX_FILE = 512 * 1024
out = sys.stdout.buffer
rng = random.Random(42)


def text_files(roots):
    found = []
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(names):
                path = os.path.join(folder, name)
                try:
                    if os.path.islink(path) or not os.path.isfile(path):
                        continue
                    if os.path.getsize(path) > MAX_FILE:
                        continue
                    with open(path, 'rb') as f:
                        head = f.read(8192)
                except OSError:
                    continue
                if b'\0' in head:
                    continue
                found.append(path)
    return found


def data(payload):
    out.write(b'data %d\n' % len(payload))
    out.write(payload)
    out.write(b'\n')


def fake_token():
    chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    return 'ghp_' + ''.join(rng.choice(chars) for _ in range(36))


def main():
    commits = int(sys.argv[1])
    files = text_files(sys.argv[2:])
    adds_per_commit = max(1, -(-len(files) // max(1, commits * 8 // 10)))
    tree = {}            # repository path -> content
    small = []           # paths of small files, for edits
    next_file = 0
    mark = 0
    when = 1600000000
    last_main = None

    def commit(ref, changes, message, parent=None, merge=None):
        nonlocal mark, when
        mark += 1
        when += 37
        out.write(b'commit %s\nmark :%d\n' % (ref.encode(), mark))
        sig = b'Bench <bench@test.invalid> %d +0000\n' % when
        out.write(b'author ' + sig + b'committer ' + sig)
        data(message.encode())
        if parent:
            out.write(b'from :%d\n' % parent)
        if merge:
            out.write(b'merge :%d\n' % merge)
        for path, content in changes:
            if content is None:
                out.write(b'D %s\n' % path.encode())
            else:
                out.write(b'M 100644 inline %s\n' % path.encode())
                data(content)
        return mark

    for n in range(commits):
        changes = []
        for _ in range(adds_per_commit):
            if next_file >= len(files):
                break
            src = files[next_file]
            next_file += 1
            path = 'src/' + src.lstrip('/')
            with open(src, 'rb') as f:
                content = f.read()
            tree[path] = content
            if len(content) < 16384:
                small.append(path)
            changes.append((path, content))
        if small:
            path = rng.choice(small)
            tree[path] = tree[path] + b'/* edit %d */\n' % n
            changes.append((path, tree[path]))
        if n % 2000 == 1000:
            changes.append(('config/token-%d.txt' % n, ('token = %s\n' % fake_token()).encode()))
        if n % 100 == 50 and last_main:
            side = commit('refs/heads/side', [('side/%d.txt' % n, b'side %d\n' % n)],
                          'side %d' % n, parent=last_main)
            last_main = commit('refs/heads/main', changes, 'merge %d' % n, parent=last_main,
                               merge=side)
        else:
            last_main = commit('refs/heads/main', changes, 'commit %d' % n, parent=last_main)


main()
