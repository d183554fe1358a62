"""tools/train.py on a CIFAR-100 KD + RLKD config, with fake CIFAR files."""
import json
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config

import rlkd_mmdet.cls  # noqa: F401

from ..conftest import ROOT

CONFIG = osp.join(ROOT, 'configs', 'cifar100', 'kd_rlkd',
                  'kd-rlkd_resnet56_resnet20_cifar100.py')
TEACHER_CONFIG = osp.join(ROOT, 'configs', 'cifar100', 'teachers',
                          'resnet56_cifar100.py')


def write_fake_cifar100(data_root, num_train: int = 8,
                        num_test: int = 4) -> None:
    """Write random images in the layout of the CIFAR-100 python release."""
    folder = data_root / 'cifar-100-python'
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    meta = {
        b'fine_label_names': [f'class_{i}'.encode() for i in range(100)],
        b'coarse_label_names': [f'super_{i}'.encode() for i in range(20)],
    }
    with open(folder / 'meta', 'wb') as f:
        pickle.dump(meta, f)
    for split, num in (('train', num_train), ('test', num_test)):
        content = {
            b'filenames': [f'{split}_{i}.png'.encode() for i in range(num)],
            b'batch_label': f'{split} batch'.encode(),
            b'fine_labels': rng.integers(0, 100, num).tolist(),
            b'coarse_labels': rng.integers(0, 20, num).tolist(),
            b'data': rng.integers(0, 256, (num, 3072), dtype=np.uint8),
        }
        with open(folder / split, 'wb') as f:
            pickle.dump(content, f)


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    teacher = MODELS.build(Config.fromfile(TEACHER_CONFIG).model)
    teacher.init_weights()
    path = tmp_path_factory.mktemp('teacher') / 'resnet56.pth'
    torch.save(dict(state_dict=teacher.state_dict()), str(path))
    return str(path)


def run_train(cwd, teacher_ckpt: str) -> subprocess.CompletedProcess:
    options = [
        f'model.teacher_ckpt={teacher_ckpt}',
        'train_cfg.max_epochs=1',
        'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.batch_size=4',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1',
        'custom_hooks.0.warmup_epochs=0',
        'custom_hooks.0.log_interval=1',
        'custom_hooks.0.agent.rollout_batches=1',
        # Rewards from re-evaluating each batch after its update: the path
        # through RLKDHook and the distiller's evaluate_instances.
        'custom_hooks.0.agent.reward_mode=same_batch',
        'env_cfg.cudnn_benchmark=False',
    ]
    return subprocess.run(
        [
            sys.executable,
            osp.join(ROOT, 'tools', 'train.py'), CONFIG, '--work-dir',
            str(cwd / 'work'), '--cfg-options'
        ] + options,
        cwd=str(cwd),
        capture_output=True,
        text=True,
        timeout=600)


def test_kd_rlkd_config_trains_one_epoch(tmp_path, teacher_ckpt):
    # The config reads the relative data/cifar100 from the working folder.
    write_fake_cifar100(tmp_path / 'data' / 'cifar100')
    result = run_train(tmp_path, teacher_ckpt)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert 'loss_kd' in output
    assert 'rlkd/T_mean' in output
    assert 'accuracy/top1' in output

    scalars = list((tmp_path / 'work').glob('*/vis_data/scalars.json'))
    assert len(scalars) == 1
    with open(scalars[0]) as f:
        records = [json.loads(line) for line in f]
    temperatures = [r['rlkd/T_mean'] for r in records if 'rlkd/T_mean' in r]
    # Two iterations of 4 images, each logged.
    assert len(temperatures) == 2
    assert all(1.0 <= t <= 10.0 for t in temperatures)
    assert any('rlkd/num_updates' in r for r in records)
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()


def test_missing_data_names_the_path(tmp_path, teacher_ckpt):
    result = run_train(tmp_path, teacher_ckpt)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "CIFAR-100 file 'meta' not found" in output
    assert osp.join('data/cifar100', 'cifar-100-python', 'meta') in output
