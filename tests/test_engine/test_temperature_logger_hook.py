import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import rlkd_mmdet.cls  # noqa: F401
import rlkd_mmdet.engine  # noqa: F401
import rlkd_mmdet.models  # noqa: F401
from rlkd_mmdet.engine import TemperatureLoggerHook

from ..conftest import ROOT


def test_logs_ctkd_temperature(tmp_path):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/digits_cls/kd-ctkd_digits.py'))
    cfg.work_dir = str(tmp_path)
    cfg.model.teacher_ckpt = None
    cfg.train_dataloader.dataset.indices = 64
    cfg.train_dataloader.batch_size = 16
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_cfg = dict(by_epoch=True, max_epochs=3, val_interval=100)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.param_scheduler = []
    # The reversal coefficient is above 0 from the second epoch on.
    cfg.model.temperature_source.curriculum_epochs = 1
    cfg.custom_hooks[0].interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()

    source = runner.model.temperature_source
    last = source.last_temperature
    scalars = runner.message_hub.log_scalars
    # The hook logged the last iteration's temperatures.
    assert scalars['train/temperature/T_mean'].current() == pytest.approx(
        float(last.mean()))
    assert scalars['train/temperature/num_instances'].current() == 16
    # One global temperature: every instance has the same value.
    assert scalars['train/temperature/T_std'].current() == 0.0
    assert scalars['train/temperature/T_min'].current() == pytest.approx(
        scalars['train/temperature/T_max'].current())
    # CTKD has moved its temperature away from the initial T=4.
    assert abs(float(last.mean()) - 4.0) > 1e-3
    # Epoch 0 (4 iterations) has a reversal coefficient of 0 and no weight
    # decay on the temperature, so T stays at 4.
    epoch_0 = scalars['train/temperature/T_mean'].data[0][:4]
    assert len(epoch_0) == 4
    for value in epoch_0:
        assert abs(value - 4.0) < 1e-5


def test_rejects_model_without_source():
    hook = TemperatureLoggerHook()
    runner = SimpleNamespace(model=torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match='Linear'):
        hook.before_run(runner)


def test_rejects_bad_interval():
    with pytest.raises(ValueError, match='got 0'):
        TemperatureLoggerHook(interval=0)
