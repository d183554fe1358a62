import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def digits_coco(tmp_path_factory):
    """A small digits detection dataset in COCO format."""
    from rlkd_mmdet.datasets import build_digits_coco
    out = tmp_path_factory.mktemp('digits_coco')
    build_digits_coco(str(out), num_train=48, num_val=16, seed=1)
    return str(out)
