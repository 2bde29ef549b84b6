#!/usr/bin/env python3
"""Remote model files through the real dsplan binary against tests/net/range_server.py on 127.0.0.1:
a Hub-style split set found by prefix, the header cache (and a corrupt entry), HF_TOKEN kept to its
host across a redirect, a server that ignores Range, one that stalls, plain http refused off this
machine, and --model-file with an hf: reference. Usage: test_remote.py PATH/TO/dsplan"""
import json, os, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fuzz"))
import range_server  # noqa: E402
from make_corpus import dense, deepseek, gguf  # noqa: E402

DSPLAN = sys.argv[1]
TOKEN = "hf_test_token_do_not_print"
failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


def run(args, env_extra, timeout=60):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HF_ENDPOINT", "XDG_CACHE_HOME")}
    env.update(env_extra)
    start = time.monotonic()
    p = subprocess.run([DSPLAN] + args, capture_output=True, text=True, env=env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


def main():
    tmp = tempfile.mkdtemp(prefix="dsplan-net-")
    repo = os.path.join(tmp, "hub", "owner", "Toy-GGUF")
    os.makedirs(os.path.join(repo, "Toy-Dense"))
    # The dense toy (10,304 tensor bytes, make_corpus.py) as a two-part split set.
    kv, tensors = dense()
    for part, chunk in enumerate((tensors[:6], tensors[6:])):
        split = [("split.no", "u16", part), ("split.count", "u16", 2)]
        if part == 0:
            split.append(("split.tensors.count", "i32", len(tensors)))
        data = gguf((kv if part == 0 else []) + split, chunk)
        with open(os.path.join(repo, "Toy-Dense", f"Toy-Dense-0000{part + 1}-of-00002.gguf"), "wb") as f:
            f.write(data)
    with open(os.path.join(repo, "mla_split.gguf"), "wb") as f:
        f.write(gguf(*deepseek(True)))
    srv = range_server.start(os.path.join(tmp, "hub"))
    base = f"http://127.0.0.1:{srv.server_port}"
    cache = os.path.join(tmp, "cache")
    env = {"HF_ENDPOINT": base, "HF_TOKEN": TOKEN, "XDG_CACHE_HOME": cache, "DSPLAN_HTTP_TIMEOUT": "2"}

    code, out, err, _ = run(["inspect", "hf:owner/Toy-GGUF/Toy-Dense", "--json"], env)
    check(code == 0, f"inspect hf: prefix exits 0 ({err.strip()})")
    j = json.loads(out) if code == 0 else {}
    check(j.get("tensor_bytes") == 10304 and len(j.get("files", [])) == 2, "the split set's 2 parts, 10,304 tensor bytes")
    first = list(srv.log)
    check(all(r["authorization"] == f"Bearer {TOKEN}" for r in first), "the token goes to the Hub host")
    check(all(r["range"] for r in first if "/resolve/" in r["path"]), "files are read by range requests only")
    entries = os.listdir(os.path.join(cache, "dsplan")) if os.path.isdir(os.path.join(cache, "dsplan")) else []
    check(len([e for e in entries if e.endswith(".hdr")]) == 2, "one cache entry per part, no temporary files left")

    srv.log.clear()
    code, out, _, _ = run(["inspect", "hf:owner/Toy-GGUF/Toy-Dense", "--json"], env)
    ranges = [r["range"] for r in srv.log if "/resolve/" in r["path"]]
    check(code == 0 and json.loads(out)["tensor_bytes"] == 10304, "second run from the cache: same answer")
    check(ranges == ["bytes=0-0", "bytes=0-0"], f"second run: only the two 1-byte ETag probes ({ranges})")

    for e in entries:
        with open(os.path.join(cache, "dsplan", e), "r+b") as f:
            f.seek(40)
            f.write(b"garbage")
    code, out, _, _ = run(["inspect", "hf:owner/Toy-GGUF/Toy-Dense", "--json"], env)
    check(code == 0 and json.loads(out)["tensor_bytes"] == 10304, "a corrupt cache entry is treated as absent")

    srv.log.clear()
    code, out, err, _ = run(["inspect", "hf:owner/redirect-Toy-GGUF/mla_split.gguf"], env)
    check(code == 0, f"a redirect to another host is followed ({err.strip()})")
    other = [r for r in srv.log if r["host"].startswith("localhost")]
    check(len(other) > 0 and all(r["authorization"] is None for r in other), "the token does not follow the redirect")
    check(TOKEN not in out + err, "the token is never printed")

    code, out, err, took = run(["inspect", f"{base}/norange/big.gguf"], env)
    check(code == 2 and "ignore Range" in err and err.count("\n") == 1, f"a server ignoring Range: one-line error ({err.strip()})")
    check(took < 20, f"... stopped at the byte budget, not after 256 MiB ({took:.1f} s)")

    code, out, err, took = run(["inspect", f"{base}/stall/slow.gguf"], env)
    check(code == 2 and "timed out" in err and took < 20, f"a stalled server times out ({took:.1f} s: {err.strip()})")

    code, out, err, _ = run(["inspect", "http://example.invalid/model.gguf"], env)
    check(code == 2 and "only https://" in err, "plain http is refused off this machine")

    code, out, err, _ = run(["estimate", "--model-file", "hf:owner/Toy-GGUF/Toy-Dense", "--context", "1024", "--json"], env)
    check(code == 0 and json.loads(out)["memory"]["weights_bytes"] == 10304, f"--model-file hf: ({err.strip()})")

    srv.shutdown()
    if failures:
        print(f"{len(failures)} remote-file checks failed")
        sys.exit(1)
    print("remote-file checks passed")


main()
