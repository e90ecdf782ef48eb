"""Run code in a fresh Python process: for what a test process cannot show (which modules an
entry point imports, what reaches file descriptor 2)."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
TENSORFLOW_PACKAGES = ("tensorflow", "keras", "tf_keras")


def run_python(code: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `code` with this checkout first on the path; stdout and stderr captured as text."""
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_DIR), environment.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                          timeout=timeout)


def run_python_recording_tensorflow(code: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess,
                                                                                list[str]]:
    """run_python(code), and the TensorFlow / Keras modules left in sys.modules when that process
    ended (recorded at interpreter exit, so `code` may end with `sys.exit(main([...]))`): one
    process for a test that checks both what a command imports and what it prints. The
    recording writes to a file, nothing to stdout or stderr. Raises AssertionError with the
    process's stderr when it ends before recording."""
    with tempfile.TemporaryDirectory() as folder:
        record = Path(folder) / "modules.json"
        prologue = (f"import atexit, json, sys\n"
                    f"atexit.register(lambda: open({str(record)!r}, 'w').write(json.dumps(sorted("
                    f"name for name in sys.modules if name.split('.')[0] in {TENSORFLOW_PACKAGES!r}))))\n")
        result = run_python(prologue + code, env)
        assert record.is_file(), f"the process ended with code {result.returncode}:\n{result.stderr[-3000:]}"
        return result, json.loads(record.read_text())


def tensorflow_modules_imported_by(code: str, env: dict | None = None) -> list[str]:
    """The TensorFlow / Keras modules left in sys.modules after `code` ran in a fresh process.

    Recorded at interpreter exit, so `code` may end with `sys.exit(main([...]))`. Raises
    AssertionError with the process's stderr when it exits with a code other than 0.
    Example: tensorflow_modules_imported_by("from expressiveness.cli import main; "
    "main(['analyze', 'clip.mp4', '--out', 'out'])") == [].
    """
    result, modules = run_python_recording_tensorflow(code, env)
    assert result.returncode == 0, f"the process ended with code {result.returncode}:\n{result.stderr[-3000:]}"
    return modules


def default_sigint() -> None:
    """preexec_fn for a command that a test interrupts as Ctrl-C in a terminal does: SIGINT back
    to its default, which a shell leaves ignored in a background job (`make test &`, nohup) and a
    child would inherit."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
