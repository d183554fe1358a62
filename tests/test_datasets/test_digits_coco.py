"""Tests of the digits detection dataset builder."""
import json
import os

import pytest

from rlkd_mmdet.datasets import build_digits_coco


def test_rebuild_overwrites_own_files(tmp_path):
    out = str(tmp_path / 'digits')
    paths = build_digits_coco(out, num_train=4, num_val=2)
    with open(paths['train']) as f:
        first = json.load(f)
    # An interrupted or repeated build runs again in the same folder.
    paths = build_digits_coco(out, num_train=4, num_val=2)
    with open(paths['train']) as f:
        second = json.load(f)
    assert len(second['images']) == 4
    assert second == first


def test_refuses_folder_with_other_files(tmp_path):
    coco = tmp_path / 'coco'
    (coco / 'train2017').mkdir(parents=True)
    with pytest.raises(FileExistsError, match='train2017'):
        build_digits_coco(str(coco), num_train=4, num_val=2)
    assert sorted(os.listdir(coco)) == ['train2017']


def test_refuses_other_annotation_files(tmp_path):
    out = tmp_path / 'data'
    (out / 'annotations').mkdir(parents=True)
    (out / 'annotations' / 'instances_train2017.json').write_text('{}')
    with pytest.raises(FileExistsError, match='instances_train2017.json'):
        build_digits_coco(str(out), num_train=4, num_val=2)
    assert os.listdir(out / 'annotations') == ['instances_train2017.json']


def test_refuses_class_folders_in_train(tmp_path):
    out = tmp_path / 'imagenet'
    (out / 'train' / 'n01440764').mkdir(parents=True)
    (out / 'val').mkdir()
    with pytest.raises(FileExistsError, match='n01440764'):
        build_digits_coco(str(out), num_train=4, num_val=2)
    assert os.listdir(out / 'train') == ['n01440764']
    assert not (out / 'annotations').exists()
