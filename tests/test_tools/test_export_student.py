import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint

import rlkd_mmdet.engine  # noqa: F401
import rlkd_mmdet.models  # noqa: F401

from ..conftest import ROOT, load_tool
from ..test_models.test_rlkd_two_stage import _batch, _empty_batch

register_all_modules()
DEMO = osp.join(ROOT, 'configs', 'demo')
TEACHER_CONFIG = osp.join(DEMO, 'faster-rcnn_teacher_digits.py')
DISTILLER_CONFIG = osp.join(DEMO, 'faster-rcnn_kd-rlkd_student_digits.py')
STUDENT_CONFIG = osp.join(DEMO, 'faster-rcnn_student_digits.py')


export_tool = load_tool('export_student')


def _use_data(cfg, data_root, work_dir):
    cfg.work_dir = work_dir
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root + '/'
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.test_evaluator.ann_file = osp.join(data_root, 'annotations',
                                           'instances_val.json')
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.default_hooks.visualization = dict(type='DetVisualizationHook')
    # Untrained models score low: keep their boxes for COCO.
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    return cfg


@pytest.fixture(scope='module')
def distiller_checkpoint(digits_coco, tmp_path_factory):
    """Train the RLKD two-stage distiller for one epoch with the Runner."""
    work_dir = tmp_path_factory.mktemp('distiller')
    torch.manual_seed(0)
    teacher = MODELS.build(Config.fromfile(TEACHER_CONFIG).model)
    teacher_ckpt = str(work_dir / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), teacher_ckpt)

    cfg = _use_data(
        Config.fromfile(DISTILLER_CONFIG), digits_coco, str(work_dir))
    cfg.model.teacher_config = TEACHER_CONFIG
    cfg.model.teacher_ckpt = teacher_ckpt
    cfg.train_dataloader.batch_size = 8
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 100
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint.interval = 1
    cfg.custom_hooks[0].warmup_epochs = 0
    cfg.custom_hooks[0].agent.rollout_batches = 2
    Runner.from_cfg(cfg).train()
    return str(work_dir / 'epoch_1.pth')


def test_distiller_checkpoint_holds_teacher_and_agent(distiller_checkpoint):
    checkpoint = torch.load(distiller_checkpoint, weights_only=False)
    assert any(k.startswith('teacher.') for k in checkpoint['state_dict'])
    assert 'rlkd_agent' in checkpoint
    assert 'optimizer' in checkpoint


def test_export_keeps_student_and_meta(distiller_checkpoint, tmp_path):
    out = str(tmp_path / 'student.pth')
    stats = export_tool.export_student(DISTILLER_CONFIG, distiller_checkpoint,
                                       out)
    source = torch.load(distiller_checkpoint, weights_only=False)
    exported = torch.load(out)
    assert set(exported) == {'meta', 'state_dict'}
    assert not any(k.startswith('teacher.') for k in exported['state_dict'])
    num_teacher = sum(k.startswith('teacher.') for k in source['state_dict'])
    assert stats['num_removed_keys'] == num_teacher > 0
    assert stats['num_student_keys'] == len(exported['state_dict'])
    for key, value in exported['state_dict'].items():
        assert torch.equal(value, source['state_dict'][key]), key
    for key, value in source['meta'].items():
        assert exported['meta'][key] == value, key
    assert exported['meta']['exported_student_from']['config'] == \
        DISTILLER_CONFIG


def test_export_loads_into_plain_student(distiller_checkpoint, tmp_path):
    out = str(tmp_path / 'student.pth')
    export_tool.main(
        [DISTILLER_CONFIG, distiller_checkpoint, out, '--student-config',
         STUDENT_CONFIG])

    model = MODELS.build(Config.fromfile(STUDENT_CONFIG).model)
    assert type(model).__name__ == 'FasterRCNN'
    assert type(model.roi_head).__name__ == 'StandardRoIHead'
    load_checkpoint(model, out, map_location='cpu', strict=True)
    source = torch.load(distiller_checkpoint, weights_only=False)
    key = 'roi_head.bbox_head.fc_cls.weight'
    assert torch.equal(model.roi_head.bbox_head.fc_cls.weight,
                       source['state_dict'][key])

    model.eval()
    for inputs, samples in (_batch(), _empty_batch()):
        with torch.no_grad():
            results = model.predict(inputs, samples)
        assert len(results) == 2
        for result in results:
            assert result.pred_instances.bboxes.size(-1) == 4


def test_mmdet_test_runs_on_export(distiller_checkpoint, digits_coco,
                                   tmp_path):
    out = str(tmp_path / 'student.pth')
    export_tool.export_student(DISTILLER_CONFIG, distiller_checkpoint, out)
    cfg = _use_data(
        Config.fromfile(STUDENT_CONFIG), digits_coco, str(tmp_path / 'test'))
    cfg.load_from = out
    metrics = Runner.from_cfg(cfg).test()
    assert 0.0 <= metrics['coco/bbox_mAP'] <= 1.0
    assert 0.0 <= metrics['coco/bbox_mAP_50'] <= 1.0


def test_export_rejects_other_config(distiller_checkpoint, tmp_path):
    other = osp.join(DEMO, 'ld_student_digits.py')
    with pytest.raises(ValueError) as error:
        export_tool.export_student(other, distiller_checkpoint,
                                   str(tmp_path / 'student.pth'))
    message = str(error.value)
    assert 'keys missing' in message
    assert 'bbox_head.' in message
    assert 'roi_head.' in message
    assert not (tmp_path / 'student.pth').exists()


def test_export_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        export_tool.export_student(DISTILLER_CONFIG,
                                   str(tmp_path / 'nothing.pth'),
                                   str(tmp_path / 'student.pth'))
