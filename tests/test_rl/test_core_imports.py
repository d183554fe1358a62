import subprocess
import sys


def test_core_imports_without_openmmlab():
    code = ('import sys, rlkd_mmdet.rl; '
            'bad = [m for m in sys.modules if m.split(".")[0] in '
            '("mmengine", "mmdet", "mmcv")]; '
            'print(bad); assert not bad')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
