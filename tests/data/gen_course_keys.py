#!/usr/bin/env python3
"""Writes course_keys.tsv, the differential corpus for src/domain/course_key.rs.

Every row is decided by the real edx-opaque-keys: `LearningContextKey.from_string(key)`, the
entry point the Open edX services use for course-run and library keys. The Rust unit test
`domain::course_key::tests::corpus_matches_edx_opaque_keys` demands zero disagreements.

How to run (from the repository root; any Python >= 3.11):

    python3 -m venv /tmp/okvenv
    /tmp/okvenv/bin/pip install 'edx-opaque-keys==4.0.0'
    /tmp/okvenv/bin/python tests/data/gen_course_keys.py      # rewrites tests/data/course_keys.tsv

The output is deterministic for one Python version (fixed seed). The Unicode characters sampled
per general category come from the running Python's Unicode database (3.11 has Unicode 14), so
another Python version samples other characters; the Rust side (regex crate, Unicode 16) agrees
with every Python for every code point that Python has assigned.

Format: `#` lines are comments, then a header line, then one row per key, tab-separated:
    key        the input, as a JSON string (non-printable characters \\u-escaped)
    valid      1 if the library accepts it, else 0
    org        JSON string: the ORG of str(key), i.e. of the canonical key ("" when invalid, and
               for version-only keys, which print no ORG)
    canonical  JSON string: str(key) ("" when invalid). A row whose canonical differs from its
               key is one the library normalises (slashes: -> course-v1:, dropped type@/block@,
               dropped library run, version-only forms).
"""
import os
import random
import sys
import unicodedata

import opaque_keys
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import LearningContextKey

SEED = 4101
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'course_keys.tsv')
HEX = '0123456789abcdef'

rng = random.Random(SEED)


def version(n=24):
    return ''.join(rng.choice(HEX) for _ in range(n))


# ---- character pools -------------------------------------------------------------------------

ASCII_ID = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-~.'
ASCII_ODD = ' +/@%#?&=!$*\'()[]{}<>,;|\\^`"\t\n\r\x00\x0b\x0c\x7f:~%.-_'
# Hand-picked characters on which Python's \w and Rust's \w disagree, or which are easy to get
# wrong: marks (Mn/Mc/Me), connector punctuation, joiners, No/Nl numbers, circled letters (So but
# Alphabetic), titlecase/modifier letters, non-ASCII digits, spaces and separators, BOM,
# noncharacters, private use, astral letters and emoji.
SPECIAL = [
    '\u00e9', 'e\u0301', '\u0301', '\u0345', '\u0903', '\u093f', '\u20dd', '\u0488', '\u00df',
    '\u0130', '\u03a3', '\ufb03', '\u0663', '\u00b2', '\u00bd', '\u216b', '\u3007', '\u2170',
    '\u203f', '\u2040', '\ufe33', '\uff3f', '\u200d', '\u200c', '\u24b6', '\u24d0', '\U0001f393',
    '\u00a0', '\u2028', '\u2029', '\u3000', '\ufeff', '\u0085', '\u01c5', '\u02b0', '\u4e2d',
    '\u0627', '\u0915', '\U0001d7d8', '\U00010400', '\uffff', '\ufdd0', '\ue000', '\U0010ffff',
    '\u00aa', '\u00ba', '\u2070', '\u2460', '\u0f33', '\U0001f100', '\u1369', '\u19da',
    '\u00ad', '\u0600', '\u180e', '\u2060', '\u00b7', '\u0387', '\u2019', '\uff0e', '\uff0b',
    '\u2044', '\u2215', '\uff0f', '\uff1a', '\ua789', '\u05be', '\u2010', '\u2011', '\u2212',
]

CATEGORIES = {}
for cp in range(0x110000):
    cat = unicodedata.category(chr(cp))
    if cat not in ('Cs', 'Cn'):  # no lone surrogates (not Rust strings); unassigned differ by version
        CATEGORIES.setdefault(cat, []).append(chr(cp))
WORDY = [c for cat in ('Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'Nd', 'Nl', 'No') for c in
         rng.sample(CATEGORIES[cat], min(40, len(CATEGORIES[cat])))]
ANY_UNICODE = [c for cat in sorted(CATEGORIES) for c in
               rng.sample(CATEGORIES[cat], min(12, len(CATEGORIES[cat])))]


def field(style=None, lo=1, hi=10, extra=''):
    """A key part: mostly valid characters, sometimes a stray one."""
    style = style or rng.choice(['ascii'] * 5 + ['unicode'] * 2 + ['odd', 'special'])
    n = rng.randint(lo, hi)
    if n == 0:
        return ''
    chars = [rng.choice(ASCII_ID + extra) for _ in range(n)]
    if style == 'unicode':
        chars = [rng.choice(WORDY) if rng.random() < 0.5 else c for c in chars]
    elif style == 'odd':
        chars[rng.randrange(n)] = rng.choice(ASCII_ODD)
    elif style == 'special':
        chars[rng.randrange(n)] = rng.choice(SPECIAL + ANY_UNICODE)
    return ''.join(chars)


# ---- key shapes ------------------------------------------------------------------------------

def course_v1(ns='course-v1'):
    parts = []
    shape = rng.random()
    if shape < 0.75:
        parts += [field(extra=':'), field(extra=':'), field(extra=':')]
    elif shape < 0.85:
        parts += [field(), field()]
    elif shape < 0.9:
        parts += [field()]
    if rng.random() < 0.25:
        parts.append('branch@' + field())
    if rng.random() < 0.25 or not parts:
        parts.append('version@' + version(rng.choice([24] * 8 + [0, 23, 25, 12])))
    if rng.random() < 0.08:
        parts.append('type@' + field())
    if rng.random() < 0.12:
        parts.append('block@' + field(extra='%:'))
    return f'{ns}:' + '+'.join(parts)


def library_v1():
    parts = []
    shape = rng.random()
    if shape < 0.7:
        parts += [field(), field()]
    elif shape < 0.8:
        parts += [field(), field(), field()]
    elif shape < 0.85:
        parts += [field()]
    if rng.random() < 0.25:
        parts.append('branch@' + field())
    if rng.random() < 0.25 or not parts:
        parts.append('version@' + version(rng.choice([24] * 8 + [23, 25])))
    if rng.random() < 0.06:
        parts.append(rng.choice(['type@', 'block@']) + field())
    return 'library-v1:' + '+'.join(parts)


def library_v2():
    org = field(rng.choice(['ascii'] * 4 + ['unicode', 'odd', 'special']))
    slug = field(rng.choice(['ascii', 'unicode', 'unicode', 'odd', 'special']))
    if rng.random() < 0.05:
        org += '\n'
    if rng.random() < 0.05:
        slug += rng.choice(['\n', '\n\n', '\r', '\r\n', ' '])
    return f'lib:{org}:{slug}'


def deprecated():
    org, course = field(extra='%'), field(extra='%')
    run = field(lo=0, extra='%') if rng.random() < 0.9 else ''
    if rng.random() < 0.05:
        org = ''
    if rng.random() < 0.05:
        course = ''
    return f'{org}/{course}/{run}'


def clean():
    """A key from the grammar (valid unless the version draws a bad length)."""
    f = lambda extra='': field('unicode', extra=extra)  # noqa: E731
    v = '+version@' + version() if rng.random() < 0.2 else ''
    b = '+branch@' + f() if rng.random() < 0.2 else ''
    return rng.choice([
        f'course-v1:{f(":")}+{f(":")}+{f(":")}{b}{v}',
        f'course-v1:{f(":")}+{f(":")}+{f(":")}{b}{v}+block@{f("%")}',
        f'library-v1:{f(":")}+{f(":")}{b}{v}',
        f'lib:{field("ascii")}:{f()}',
        f'{f("%")}/{f("%")}/{field("unicode", lo=0, extra="%")}',
    ])


def other():
    return rng.choice([
        f'block-v1:{field()}+{field()}+{field()}+type@problem+block@{field()}',
        f'i4x://{field()}/{field()}/problem/{field()}',
        f'ccx-v1:{field()}+{field()}+{field()}+ccx@{rng.randint(1, 99)}',
        f'lb:{field()}:{field()}:problem:{field()}',
        f'lib-collection:{field()}:{field()}:{field()}',
        f'asset-v1:{field()}+{field()}+{field()}+type@asset+block@{field()}',
        f'{field()}:{field()}+{field()}+{field()}',
        f'{field()}/{field()}',
        f'{field()}/{field()}/{field()}/{field()}',
        field(hi=30),
    ])


NAMESPACE_SLIPS = ['Course-v1', 'COURSE-V1', 'course-V1', 'course-v2', 'course_v1', 'coursev1',
                   ' course-v1', 'course-v1 ', 'Library-v1', 'LIBRARY-V1', 'library-v2', 'Lib',
                   'LIB', 'lib ', 'lib-v2', 'libv2', 'Slashes', 'slash', 'course-v1:course-v1', '']


def mutate(key):
    """A near miss of a (usually valid) key."""
    m = rng.randrange(16)
    if m == 0 and ':' in key:
        ns, _, rest = key.partition(':')
        return rng.choice(NAMESPACE_SLIPS) + ':' + rest
    if m == 1:
        return rng.choice([' ', '\t', '\n', '\r\n', '\u00a0', '\ufeff']) + key
    if m == 2:
        return key + rng.choice([' ', '\t', '\n', '\n\n', '\r', '\r\n', '\u00a0', '\u2028', '\x00'])
    if m == 3:
        return key + rng.choice(['+', '++', '/', ':', '@', '%', '~', '+branch@', '+version@'])
    if m == 4:
        sep = rng.choice('+/:')
        return key.replace(sep, sep * 2, 1)
    if m == 5:
        sep = rng.choice('+/:')
        return key.replace(sep, rng.choice(['', '+', '/', ':', ' ', '@']), 1)
    if m == 6:
        return key.replace('version@', 'version@' + rng.choice(HEX), 1)
    if m == 7 and 'version@' in key:
        return key.upper() if rng.random() < 0.2 else key.replace('version@', 'version@' + rng.choice('ABCDEFg'), 1)
    if m == 8:
        return key + f'+version@{version()}+branch@{field()}'
    if m == 9:
        return key + rng.choice(['+type@html', '+block@x', '+type@html+block@a%20b', '+block@', '+type@a+b'])
    if m == 10 and key:
        i = rng.randrange(len(key))
        return key[:i] + key[i + 1:]
    if m == 11:
        i = rng.randrange(len(key) + 1)
        return key[:i] + rng.choice(ASCII_ODD + ''.join(SPECIAL)) + key[i:]
    if m == 12 and len(key) > 1:
        i = rng.randrange(len(key) - 1)
        return key[:i] + key[i + 1] + key[i] + key[i + 2:]
    if m == 13:
        return key.replace('+', '/')
    if m == 14:
        return key.replace('/', '+')
    return key.replace('@', rng.choice(['', '@@', '#', ' @']), 1)


def fixed_cases():
    """Hand-written edge cases: every rule the Rust module documents."""
    v = '519665f6223ebd6980884f2b'
    yield from [
        'course-v1:edX+DemoX+Demo_Course', 'course-v1:edX+DemoX+2020', 'library-v1:edX+lib1',
        'lib:edX:lib2', 'edX/DemoX/2020', 'edX/DemoX/', 'edX//2020', '/DemoX/2020', '//', '/', '',
        'slashes:edX+DemoX+2020', 'slashes:version@' + v, 'course-v1:version@' + v,
        'course-v1:edX+DemoX+version@' + v, 'course-v1:edX+version@' + v,
        'course-v1:branch@draft+version@' + v, 'course-v1:branch@draft',
        'course-v1:edX+DemoX+2020+branch@draft', 'course-v1:edX+DemoX+2020+branch@draft+version@' + v,
        'course-v1:edX+DemoX+2020+version@' + v + '+branch@draft',
        'course-v1:edX+DemoX+2020+version@' + v.upper(), 'course-v1:edX+DemoX+2020+version@' + v[:-1],
        'course-v1:edX+DemoX+2020+version@' + v + '0', 'course-v1:edX+DemoX+2020+version@',
        'course-v1:edX+DemoX+2020+type@problem+block@abc', 'course-v1:edX+DemoX+2020+block@a%2Fb',
        'course-v1:edX+DemoX+2020+type@problem', 'course-v1:version@' + v + '+block@x',
        'course-v1:edX+DemoX+2020+', 'course-v1:edX+DemoX+2020+\n', 'course-v1:edX+DemoX+2020\n',
        'course-v1:edX+DemoX', 'course-v1:edX', 'course-v1:', 'course-v1:+DemoX+2020',
        'course-v1:edX++2020', 'course-v1:edX+DemoX+2020+extra', 'course-v1:a:b+c:d+e:f',
        'course-v1:edX+Demo%20X+2020', 'course-v1:edX+Demo~X+2020', 'course-v1:ed X+DemoX+2020',
        'Course-v1:edX+DemoX+2020', 'COURSE-V1:edX+DemoX+2020', ' course-v1:edX+DemoX+2020',
        'course-v1:edX+DemoX+2020 ', 'course-v1:edX/DemoX/2020', 'course-v1:branch@x+y+z',
        'library-v1:edX+lib1+run', 'library-v1:edX+lib1+run+branch@b', 'library-v1:edX+lib1+branch@b',
        'library-v1:version@' + v, 'library-v1:edX+lib1+version@' + v, 'library-v1:edX+version@' + v,
        'library-v1:branch@b+version@' + v, 'library-v1:edX', 'library-v1:edX+lib1+type@x+block@y',
        'Library-v1:edX+lib1', 'lib:edX:lib2\n', 'lib:edX\n:lib2', 'lib:edX\n:lib2\n', 'lib:edX:lib2\n\n',
        'lib:edX:lib2\r', 'lib:edX:', 'lib::lib2', 'lib:edX:lib:2', 'lib:éX:lib2', 'lib:edX:líb2',
        'lib:ed~X:lib2', 'lib:edX:lib~2', 'lib:ed%X:lib2', 'LIB:edX:lib2', 'lib:edX+lib2',
        'edX/DemoX/2020\n', 'edX/Demo X/2020', 'edX/Demo~X/2020', 'edX/Demo:X/2020', 'edX/Demo%X/2020',
        'edX/DemoX/2020/', 'edX/DemoX', 'edX.org/Demo-X/20_20%', 'é/ü/ß', '²/½/Ⅻ', 'e\u0301/b/c',
        'ccx-v1:edX+DemoX+2020+ccx@1', 'block-v1:edX+DemoX+2020+type@problem+block@x',
        'i4x://edX/DemoX/problem/x', 'foo:edX/DemoX/2020', ':edX/DemoX/2020', 'edX:DemoX/2020/x',
    ]


def cases():
    yield from fixed_cases()
    # Every character class edge: sampled characters of every general category in each field.
    for c in SPECIAL + ANY_UNICODE + list(ASCII_ODD):
        yield from [f'course-v1:{c}+b+c', f'course-v1:o+b+r+block@{c}', f'{c}/b/c', f'o/b/x{c}',
                    f'library-v1:o+{c}', f'lib:{c}:s', f'lib:o:s{c}']
    makers = [clean, clean, clean, course_v1, course_v1, library_v1, library_v2, deprecated, deprecated, other,
              lambda: course_v1('slashes')]
    for _ in range(5000):
        key = rng.choice(makers)()
        yield key
        if rng.random() < 0.45:
            yield mutate(key)


def escape(s):
    """A JSON string literal; characters that are not printable are \\u-escaped."""
    out = ['"']
    for c in s:
        if c in '"\\':
            out.append('\\' + c)
        elif c in '\n\r\t':
            out.append({'\n': '\\n', '\r': '\\r', '\t': '\\t'}[c])
        elif c.isprintable():
            out.append(c)
        elif ord(c) > 0xFFFF:
            hi, lo = divmod(ord(c) - 0x10000, 0x400)
            out.append(f'\\u{0xD800 + hi:04x}\\u{0xDC00 + lo:04x}')
        else:
            out.append(f'\\u{ord(c):04x}')
    out.append('"')
    return ''.join(out)


def decide(key):
    try:
        parsed = LearningContextKey.from_string(key)
    except InvalidKeyError:
        return None
    canonical = str(parsed)
    again = LearningContextKey.from_string(canonical)
    assert str(again) == canonical, (key, canonical)  # the canonical form is a fixed point
    return (again.org or '', canonical, parsed.org or '')


def main():
    rows, seen = [], set()
    valid = normalised = org_dropped = 0
    for key in cases():
        if key in seen:
            continue
        seen.add(key)
        res = decide(key)
        if res is None:
            rows.append(f'{escape(key)}\t0\t""\t""')
            continue
        org, canonical, parsed_org = res
        valid += 1
        normalised += canonical != key
        org_dropped += parsed_org != org
        rows.append(f'{escape(key)}\t1\t{escape(org)}\t{escape(canonical)}')
    with open(OUT, 'w', encoding='utf-8', newline='\n') as f:
        f.write('# course_keys.tsv: differential corpus for src/domain/course_key.rs; written by\n')
        f.write(f'# gen_course_keys.py (seed {SEED}) with edx-opaque-keys {opaque_keys.__version__} on Python '
                f'{sys.version.split()[0]} (Unicode {unicodedata.unidata_version}). Do not edit by hand.\n')
        f.write(f'# {len(rows)} keys: {valid} valid ({normalised} normalised by str(key), {org_dropped} of them '
                f'dropping the ORG), {len(rows) - valid} invalid. Text columns are JSON strings.\n')
        f.write('key\tvalid\torg\tcanonical\n')
        f.write('\n'.join(rows) + '\n')
    print(f'{OUT}: {len(rows)} keys, {valid} valid ({normalised} normalised, {org_dropped} ORG dropped), '
          f'{len(rows) - valid} invalid', file=sys.stderr)


if __name__ == '__main__':
    main()
