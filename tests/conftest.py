import importlib.util
import os.path as osp
from types import ModuleType

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_tool(name: str) -> ModuleType:
    """Import ``tools/<name>.py``, which is not part of a package."""
    spec = importlib.util.spec_from_file_location(
        f'tool_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def digits_coco(tmp_path_factory):
    """A small digits detection dataset in COCO format."""
    from rlkd_mmdet.datasets import build_digits_coco
    out = tmp_path_factory.mktemp('digits_coco')
    build_digits_coco(str(out), num_train=48, num_val=16, seed=1)
    return str(out)
