#!/usr/bin/env python3
"""`vspace exec` against running the same program directly, with programs
nobody here wrote (Debian's busybox-static) and programs the build compiles
with gcc (static and static-PIE). The oracle is the kernel's own exec: same
stdout, stderr and exit status (or signal).

usage: test_exec.py VSPACE PROGDIR WORKDIR GROUP
  GROUP: busybox | auxv | slack | signal | audit | errors
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

VSPACE, PROGDIR, WORK, GROUP = sys.argv[1:5]
BUSYBOX = shutil.which("busybox") or "/bin/busybox"
failures = 0
checks = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def run(argv, env=None, stdin=None):
    return subprocess.run(argv, env=env, input=stdin, capture_output=True, timeout=60)


def same(prog_argv, vs_opts=(), env=None, native_env=None, stdin=None, what=None):
    """prog_argv run directly and through `vspace exec` agree."""
    global checks
    checks += 1
    what = what or " ".join(prog_argv)
    native = run(prog_argv, env=native_env if native_env is not None else env, stdin=stdin)
    ours = run([VSPACE, "exec", *vs_opts, *prog_argv], env=env, stdin=stdin)
    for field in ("returncode", "stdout", "stderr"):
        a, b = getattr(native, field), getattr(ours, field)
        if a != b:
            fail(f"{what}: {field} differs\n  direct:       {a!r:.600}\n  vspace exec:  {b!r:.600}")
    return native


def base_env(**extra):
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/nonexistent"}
    env.update(extra)
    return env


def group_busybox():
    data = os.path.join(WORK, "data.bin")
    with open(data, "wb") as f:
        f.write(os.urandom(300000) + b"\n")
    r = same([BUSYBOX, "sha256sum", data], env=base_env())
    want = subprocess.run(["sha256sum", data], capture_output=True).stdout.split()[0]
    if r.stdout.split()[:1] != [want]:
        fail(f"busybox sha256sum disagrees with coreutils: {r.stdout!r}")
    # stdin passes through
    same([BUSYBOX, "sha256sum"], env=base_env(), stdin=open(data, "rb").read(), what="sha256sum of stdin")
    # the environment: inherited, extended, replaced, cleared
    env = base_env(FOO="bar baz", EMPTY="", LONG="x" * 5000)
    same([BUSYBOX, "env"], env=env)
    same([BUSYBOX, "env"], vs_opts=["--env", "FOO=new", "--env", "ADDED=1=2"], env=env,
         native_env=dict(env, FOO="new", ADDED="1=2"), what="env with --env")
    r = same([BUSYBOX, "env"], vs_opts=["-i", "--env", "ONLY=this"], env=env, native_env={"ONLY": "this"},
             what="env with -i")
    if r.stdout != b"ONLY=this\n":
        fail(f"env -i gave {r.stdout!r}")
    # a shell: a pipeline of applets busybox runs in forked children, output
    # on both streams, a non-zero exit
    script = "echo hello world | sort | head -c 5 | sha256sum; seq 3 | cut -c1; echo to-stderr >&2; exit 7"
    r = same([BUSYBOX, "sh", "-c", script], env=base_env())
    if r.returncode != 7:
        fail(f"sh -c exit status {r.returncode}, want 7")
    same([BUSYBOX, "ls", "/nonexistent-dir"], env=base_env())
    # applets busybox runs by re-executing itself through /proc/self/exe:
    # right only where vspace exec could make the kernel's record name the
    # program (PR_SET_MM_MAP needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN)
    exe = run([VSPACE, "exec", BUSYBOX, "readlink", "/proc/self/exe"]).stdout.strip()
    if exe == os.path.realpath(BUSYBOX).encode():
        same([BUSYBOX, "readlink", "/proc/self/exe"], env=base_env())
        # the kernel's record also names the program's arguments and
        # environment (a copy in anonymous memory: it reads no other)
        same([BUSYBOX, "cat", "/proc/self/cmdline"], env=base_env())
        same([BUSYBOX, "cat", "/proc/self/environ"], env=base_env(X="y z"))
        same([BUSYBOX, "sh", "-c", "printf 'b\\na\\nb\\n' | grep b | tr b c | wc -l; echo x | sed s/x/y/; exit 3"],
             env=base_env())
    else:
        print(f"note: /proc/self/exe under vspace exec is {exe!r} (no CAP_CHECKPOINT_RESTORE?): "
              "re-executing applets not compared")
    same([BUSYBOX, "echo", "", "two words", "é", "x" * 10000], env=base_env(), what="echo with odd arguments")
    same([BUSYBOX, "true"], env=base_env())
    same([BUSYBOX, "false"], env=base_env())
    # one process, as with exec: the program's parent is the caller, and it
    # inherits no descriptor of vspace's (the file, the memfd)
    same([BUSYBOX, "sh", "-c", "echo $PPID"], env=base_env())
    same([BUSYBOX, "ls", "/proc/self/fd"], env=base_env())


def group_auxv():
    args = ["a", "", "two words", "x" * 3000]
    for name in ("exec_auxv_static", "exec_auxv_pie"):
        prog = os.path.join(PROGDIR, name)
        r = same([prog, *args], env=base_env(K="v"))
        if r.returncode != 0 or b"WRONG" in r.stdout:
            fail(f"{name} found wrong start-up data when run directly:\n{r.stdout.decode()}")
        # the program checks its auxv itself; under vspace exec too
        ours = run([VSPACE, "exec", prog, *args], env=base_env(K="v"))
        if ours.returncode != 0 or ours.stdout.count(b": ok\n") < 12:
            fail(f"{name} under vspace exec:\n{ours.stdout.decode()}{ours.stderr.decode()}")


def static_elf(path):
    """Whether path is an x86_64 ELF without PT_INTERP (a static program)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2 or int.from_bytes(head[18:20], "little") != 62:
                return False
            phoff = int.from_bytes(head[32:40], "little")
            phentsize = int.from_bytes(head[54:56], "little")
            phnum = int.from_bytes(head[56:58], "little")
            f.seek(phoff)
            phdrs = f.read(phentsize * phnum)
    except OSError:
        return False
    return all(int.from_bytes(phdrs[i * phentsize:i * phentsize + 4], "little") != 3 for i in range(phnum))


def group_slack():
    """The pages a segment shares in the file with its neighbour show what
    the kernel's exec shows there (the file's bytes around the segment;
    zero after a segment with .bss), whole pages of read-only segments
    included. The programs print hashes of those bytes in their own
    memory; the kernel's exec is the oracle."""
    for name in ("exec_slack_static", "exec_slack_pie"):
        prog = os.path.join(PROGDIR, name)
        r = same([prog], env=base_env())
        slack = re.findall(r"(?:before|after) \d+ bytes hash \w+ nonzero (\d+)", r.stdout.decode())
        # the comparison means something only if some slack is not zero
        if r.returncode != 0 or len(slack) < 6 or not any(int(k) for k in slack):
            fail(f"{name} run directly: exit {r.returncode}, no segment with file bytes around it:\n"
                 f"{r.stdout.decode()}")
        audit_clean([prog])
    # A static-PIE nobody here wrote: Debian's ldconfig (libc-bin), its
    # cache listing and its version the same as when the kernel runs it.
    ldconfig = "/sbin/ldconfig"
    if static_elf(ldconfig):
        r = same([ldconfig, "-p"], env=base_env())
        if r.returncode != 0 or b"libc.so" not in r.stdout:
            fail(f"ldconfig -p run directly: exit {r.returncode}, {r.stdout[:200]!r}")
        same([ldconfig, "--version"], env=base_env())
        audit_clean([ldconfig, "-p"])


def group_signal():
    for sig in ("TERM", "SEGV", "KILL", "ABRT"):
        r = same([BUSYBOX, "sh", "-c", f"echo before; kill -{sig} $$; echo after"], env=base_env())
        if r.returncode >= 0:
            fail(f"kill -{sig}: the direct run was not killed by a signal ({r.returncode})")
    # as a shell sees it: 128 + N
    r = subprocess.run(["sh", "-c", f"'{VSPACE}' exec '{BUSYBOX}' sh -c 'kill -TERM $$'; echo status $?"],
                       capture_output=True, timeout=60)
    if b"status 143" not in r.stdout:
        fail(f"a shell saw {r.stdout!r} for a program killed by SIGTERM, want status 143")


def audit_clean(argv, env=None):
    global checks
    checks += 1
    r = run([VSPACE, "exec", "--audit", *argv], env=env or base_env())
    out = r.stdout.decode(errors="replace")
    if "Audit: CLEAN" not in out:
        fail(f"--audit {' '.join(argv)}: not clean (exit {r.returncode}):\n{out[-3000:]}{r.stderr.decode()[-500:]}")
    direct = run(argv, env=env or base_env())
    if r.returncode != direct.returncode:
        fail(f"--audit {' '.join(argv)}: exit {r.returncode}, direct {direct.returncode}")
    # the kernel side of the audit really looked: every mapped page translated
    if "kernel mappings unknown to the shadow" not in out:
        fail(f"--audit {' '.join(argv)}: the scan of the kernel's mappings did not run:\n{out[-1500:]}")


def group_audit():
    audit_clean([BUSYBOX, "true"])
    audit_clean([BUSYBOX, "sh", "-c", "exit 3"])
    audit_clean([os.path.join(PROGDIR, "exec_auxv_static"), "x"])
    audit_clean([os.path.join(PROGDIR, "exec_auxv_pie"), "x"])
    audit_clean([os.path.join(PROGDIR, "exec_exit42")])
    # A report that cannot be written: exit 2, and the program does not run
    # as if it had been audited.
    global checks
    checks += 1
    with tempfile.TemporaryDirectory() as d:
        marker = os.path.join(d, "ran")
        with open("/dev/full", "wb") as full:
            r = subprocess.run([VSPACE, "exec", "--audit", BUSYBOX, "touch", marker], stdout=full,
                               stderr=subprocess.PIPE, env=base_env(), timeout=60)
        err = r.stderr.decode(errors="replace")
        if r.returncode != 2 or "cannot write the report" not in err or os.path.exists(marker):
            fail(f"--audit > /dev/full: exit {r.returncode}, ran {os.path.exists(marker)}, stderr {err!r}")


def expect_error(argv, words, what):
    global checks
    checks += 1
    r = run([VSPACE, "exec", *argv])
    err = r.stderr.decode(errors="replace")
    if r.returncode != 2 or not all(w in err for w in words):
        fail(f"{what}: exit {r.returncode}, stderr {err!r}; want 2 and {words}")


def group_errors():
    dynamic = shutil.which("ls")
    expect_error([dynamic], ["PT_INTERP", "dynamically linked", dynamic], "dynamically linked program")
    foreign = os.path.join(WORK, "busybox-aarch64")
    data = bytearray(open(BUSYBOX, "rb").read())
    data[18:20] = (183).to_bytes(2, "little")  # e_machine = EM_AARCH64
    open(foreign, "wb").write(data)
    os.chmod(foreign, 0o755)
    expect_error([foreign], ["e_machine", "aarch64", foreign], "foreign architecture")
    # an image linked high up (0x400000000000) loads where it is linked, as
    # long as nothing of vspace's own lies there; one right on top of
    # vspace's own image does not: a vspace linked at a fixed address
    # (ET_EXEC) always sits there, and with address-space randomisation
    # off a PIE vspace sits at 0x555555554000
    r = run([VSPACE, "exec", os.path.join(PROGDIR, "exec_exit42_high")])
    if r.returncode != 42:
        fail(f"exec_exit42_high exited {r.returncode}, want 42: {r.stderr!r}")
    # linked at 0x1000: vspace runs it wherever the kernel's exec does (the
    # floor is vm.mmap_min_addr), and otherwise says that is why
    low = os.path.join(PROGDIR, "exec_exit42_low")
    direct, r = run([low]), run([VSPACE, "exec", low])
    err = r.stderr.decode(errors="replace")
    if direct.returncode == 42 and r.returncode != 42:
        fail(f"exec_exit42_low exited {r.returncode}, directly 42: {err!r}")
    if direct.returncode != 42 and not (r.returncode == 2 and "vm.mmap_min_addr" in err):
        fail(f"exec_exit42_low: exit {r.returncode} ({err!r}), directly {direct.returncode}")
    checks_before = checks
    r = run(["setarch", "-R", VSPACE, "exec", os.path.join(PROGDIR, "exec_exit42_clash")])
    err = r.stderr.decode(errors="replace")
    maps = run(["setarch", "-R", "cat", "/proc/self/maps"]).stdout.decode()
    with open(VSPACE, "rb") as f:
        fixed = f.read(18)[16:18] == (2).to_bytes(2, "little")  # e_type ET_EXEC
    clash = fixed or maps.startswith("555555554000")
    if clash and not (r.returncode == 2 and "clash with vspace's own mapping" in err
                      and os.path.realpath(VSPACE) + ": vspace exec cannot" in err):
        fail(f"clash with vspace's own image: exit {r.returncode}, {err!r}")
    assert checks == checks_before
    # where vspace lies in the stack's range or between two segments (the
    # window's gap): named the same way, vspace's mapping and not the
    # program's own
    for name in ("exec_exit42_stackclash", "exec_exit42_holdclash"):
        prog = os.path.join(PROGDIR, name)
        if fixed and os.path.exists(prog):
            expect_error([prog], ["with vspace's own mapping", os.path.realpath(VSPACE) + ": vspace exec cannot"],
                         name)
    expect_error([os.path.join(WORK, "missing")], ["cannot open"], "missing file")
    expect_error(["--env", "NOEQUALS", BUSYBOX], ["--env wants K=V, got 'NOEQUALS'"], "bad --env")
    expect_error(["--env", "", BUSYBOX], ["--env needs K=V"], "empty --env")
    expect_error(["--env="], ["--env needs K=V"], "empty --env=")
    expect_error(["--env"], ["--env needs K=V"], "--env without a value")
    group_permissions()
    r = run([VSPACE, "exec", os.path.join(PROGDIR, "exec_exit42")])
    if r.returncode != 42:
        fail(f"exec_exit42 exited {r.returncode}, want 42")


def exec_like_kernel(argv, what, preexec=None):
    """vspace exec runs what the kernel's execve runs and refuses, exit 2
    naming the file and EACCES, what it refuses with EACCES."""
    global checks
    checks += 1
    try:
        direct = subprocess.run(argv, capture_output=True, timeout=60, preexec_fn=preexec)
        refused = None
    except PermissionError as e:
        direct, refused = None, e
    ours = subprocess.run([VSPACE, "exec", *argv], capture_output=True, timeout=60, preexec_fn=preexec)
    err = ours.stderr.decode(errors="replace")
    if refused is not None:
        if ours.returncode != 2 or "not executable" not in err or "Permission denied" not in err or argv[0] not in err:
            fail(f"{what}: execve refuses it ({refused.strerror}) but vspace exec: exit {ours.returncode}, {err!r}")
    elif ours.returncode != direct.returncode:
        fail(f"{what}: execve runs it (exit {direct.returncode}) but vspace exec: exit {ours.returncode}, {err!r}")


def group_permissions():
    """Execute permission as the kernel's exec checks it (issue: vspace exec
    ran a file without any execute bit)."""
    import stat

    src = os.path.join(PROGDIR, "exec_exit42")
    tmp = tempfile.mkdtemp(prefix="vspace-exec-perm-")
    os.chmod(tmp, 0o755)
    prog = os.path.join(tmp, "prog")
    shutil.copyfile(src, prog)
    for mode in (0o644, 0o444, 0o600, 0o100, 0o010, 0o001, 0o755, 0o700):
        os.chmod(prog, mode)
        exec_like_kernel([prog], f"mode {mode:04o} as uid {os.geteuid()}")
    exec_like_kernel([tmp], "a directory")
    # another user: no root override (root runs a file with any execute bit)
    if os.geteuid() == 0:
        def nobody():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        for mode in (0o755, 0o754, 0o750, 0o745, 0o711 | 0o004, 0o644):
            os.chmod(prog, mode)
            exec_like_kernel([prog], f"mode {mode:04o} as nobody", preexec=nobody)
    os.chmod(prog, 0o644)
    r = run([VSPACE, "exec", prog])
    if r.returncode != 2 or b"not executable (Permission denied)" not in r.stderr:
        fail(f"mode 0644: exit {r.returncode}, {r.stderr!r}; want 2 and 'not executable (Permission denied)'")
    shutil.rmtree(tmp)


os.makedirs(WORK, exist_ok=True)
{"busybox": group_busybox, "auxv": group_auxv, "slack": group_slack, "signal": group_signal, "audit": group_audit,
 "errors": group_errors}[GROUP]()
print(f"exec {GROUP}: {checks} comparisons, {failures} failed")
print(f"{checks - min(failures, checks)} passed, {min(failures, checks)} failed")
sys.exit(1 if failures else 0)
