import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import rlkd_mmdet.engine  # noqa: F401
import rlkd_mmdet.models  # noqa: F401
from rlkd_mmdet.engine import RLKDHook

from ..conftest import ROOT

register_all_modules()
TEACHER_CONFIG = osp.join(ROOT, 'configs/demo/gfl_teacher_digits.py')


def _config(data_root, work_dir, teacher_ckpt, max_epochs):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/demo/ld_rlkd_student_digits.py'))
    cfg.work_dir = work_dir
    cfg.model.teacher_config = TEACHER_CONFIG
    cfg.model.teacher_ckpt = teacher_ckpt
    cfg.train_dataloader.dataset.data_root = data_root + '/'
    cfg.train_dataloader.batch_size = 8
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = 100
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.checkpoint.max_keep_ckpts = 3
    cfg.default_hooks.logger.interval = 2
    cfg.default_hooks.visualization = dict(type='DetVisualizationHook')
    cfg.custom_hooks[0].warmup_epochs = 0
    cfg.custom_hooks[0].log_interval = 1
    cfg.custom_hooks[0].agent.rollout_batches = 2
    return cfg


class AgentProbe(Hook):
    """Copy the agent's state when training starts."""

    def before_train(self, runner):
        hook = next(h for h in runner.hooks if isinstance(h, RLKDHook))
        self.num_updates = hook.agent.num_updates
        self.policy = {
            k: v.clone()
            for k, v in hook.agent.policy.state_dict().items()
        }


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    teacher = MODELS.build(Config.fromfile(TEACHER_CONFIG).model)
    path = str(tmp_path_factory.mktemp('teacher') / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), path)
    return path


def test_train_checkpoint_and_resume_agent(digits_coco, teacher_ckpt,
                                           tmp_path):
    work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(
        _config(digits_coco, work_dir, teacher_ckpt, max_epochs=2))
    runner.train()

    hook = next(h for h in runner.hooks if isinstance(h, RLKDHook))
    assert hook.agent.num_updates >= 2
    scalars = runner.message_hub.log_scalars
    assert 1.0 <= scalars['train/rlkd/T_mean'].current() <= 20.0
    assert 'train/rlkd/policy_loss' in scalars
    assert 'train/rlkd/reward' in scalars
    assert osp.isfile(osp.join(work_dir, 'rlkd_temperatures.json'))

    # The checkpoint loads with torch's default weights_only=True.
    ckpt_path = osp.join(work_dir, 'epoch_2.pth')
    checkpoint = torch.load(ckpt_path)
    saved = checkpoint['rlkd_agent']
    assert saved['num_updates'] == hook.agent.num_updates

    cfg = _config(digits_coco, work_dir, teacher_ckpt, max_epochs=3)
    cfg.resume = True
    cfg.load_from = ckpt_path
    resumed = Runner.from_cfg(cfg)
    probe = AgentProbe()
    resumed.register_hook(probe, priority='LOWEST')
    resumed.train()
    assert resumed.epoch == 3
    assert probe.num_updates == saved['num_updates']
    for key, value in saved['policy'].items():
        assert torch.equal(probe.policy[key], value), key


def test_hook_rejects_fixed_temperature_model(digits_coco, teacher_ckpt,
                                              tmp_path):
    cfg = _config(digits_coco, str(tmp_path), teacher_ckpt, max_epochs=1)
    cfg.model.temperature_source = dict(
        type='FixedTemperature', temperature=10.0)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(TypeError, match='RLKDTemperature'):
        runner.train()


def test_hook_schedule_phases():
    hook = RLKDHook(warmup_epochs=2, train_interval=5, train_epochs=2)
    phases = [hook.phase_index(epoch) for epoch in range(14)]
    assert phases == [
        None, None, 0, 0, None, None, None, 1, 1, None, None, None, 2, 2
    ]


def test_hook_rejects_bad_schedule():
    with pytest.raises(ValueError, match='train_epochs'):
        RLKDHook(train_interval=2, train_epochs=3)
