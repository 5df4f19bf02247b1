#!/bin/sh
# Checks docs/intent.schema.json against the examples and the bad-intent
# corpus:
#   - the schema itself is a valid draft 2020-12 schema;
#   - every examples/*.json and tests/intent/valid/*.json validates;
#   - every tests/intent/*.json that tests/intent/schema-rejects.txt lists is
#     rejected by the schema (not JSON, or fails validation), and every other
#     corpus file is accepted: those break only rules a schema cannot express
#     (references, uniqueness of names, addresses inside subnets), which the
#     C validator checks (tests/test-intent).  So the schema and the C
#     validator agree wherever the schema can express the rule.
# One "PASS: test-intent-schema: NAME" / "FAIL: ..." line per file; exit 1
# on any failure.
#
# usage: tests/test-intent-schema.sh [SRCDIR]

srcdir=${1:-$(dirname "$0")/..}
exec /usr/bin/python3 - "$srcdir" <<'EOF'
import glob
import json
import os
import sys

import jsonschema

srcdir = sys.argv[1]
prog = "test-intent-schema"
failed = 0


def report(ok, name, why=""):
    global failed
    print("%s: %s: %s%s" % ("PASS" if ok else "FAIL", prog, name,
                            "" if ok else " (%s)" % why))
    if not ok:
        failed += 1


def reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def load(path):
    """Returns the parsed JSON, or raises ValueError for non-JSON (including
    NaN and Infinity, which Python would otherwise accept)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_constant=reject_constant)


with open(os.path.join(srcdir, "docs", "intent.schema.json")) as f:
    schema = json.load(f)
try:
    jsonschema.Draft202012Validator.check_schema(schema)
    report(True, "schema")
except jsonschema.SchemaError as e:
    report(False, "schema", e.message)
    sys.exit(1)
validator = jsonschema.Draft202012Validator(schema)


def first_error(doc):
    """Returns a description of the first schema error, or None."""
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    if not errors:
        return None
    e = errors[0]
    return "%s: %s" % ("/".join(str(p) for p in e.path) or "$", e.message)


examples = sorted(glob.glob(os.path.join(srcdir, "examples", "*.json")))
if not examples:
    report(False, "examples", "none found")
valid = sorted(glob.glob(os.path.join(srcdir, "tests", "intent", "valid",
                                      "*.json")))
if not valid:
    report(False, "tests/intent/valid", "none found")
for path in examples + valid:
    name = os.path.relpath(path, srcdir)
    try:
        err = first_error(load(path))
    except ValueError as e:
        err = "not JSON: %s" % e
    report(err is None, name, err)

corpus_dir = os.path.join(srcdir, "tests", "intent")
with open(os.path.join(corpus_dir, "schema-rejects.txt")) as f:
    must_reject = {l.strip() for l in f
                   if l.strip() and not l.startswith("#")}
corpus = sorted(os.path.basename(p)
                for p in glob.glob(os.path.join(corpus_dir, "*.json")))
for name in sorted(must_reject - set(corpus)):
    report(False, "corpus/" + name, "listed in schema-rejects.txt but absent")
for name in corpus:
    try:
        err = first_error(load(os.path.join(corpus_dir, name)))
    except ValueError as e:
        err = "not JSON: %s" % e
    if name in must_reject:
        report(err is not None, "corpus/" + name,
               "the schema accepts it but should reject it")
    else:
        report(err is None, "corpus/" + name,
               "the schema rejects a rule it is not listed for: %s" % err)

sys.exit(1 if failed else 0)
EOF
