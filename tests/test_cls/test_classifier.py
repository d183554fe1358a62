"""ImageClassifier on a batch of the digits dataset."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import DATASETS, MODELS
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper

from rlkd_mmdet.cls import ClsDataSample

BATCH_SIZE = 8
NUM_CLASSES = 10


def classifier_config() -> dict:
    return dict(
        type='ImageClassifier',
        backbone=dict(type='CifarResNet', depth=20),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=NUM_CLASSES,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        data_preprocessor=dict(
            type='ClsDataPreprocessor',
            mean=[127.5, 127.5, 127.5],
            std=[127.5, 127.5, 127.5],
            to_rgb=False))


@pytest.fixture(scope='module')
def digits_batch() -> dict:
    dataset = DATASETS.build(
        dict(
            type='DigitsClsDataset',
            split='train',
            pipeline=[dict(type='PackClsInputs')]))
    return pseudo_collate([dataset[i] for i in range(BATCH_SIZE)])


@pytest.fixture
def model():
    torch.manual_seed(0)
    return MODELS.build(classifier_config())


def test_preprocessor_normalizes_and_stacks(model, digits_batch):
    data = model.data_preprocessor(digits_batch, training=True)
    inputs = data['inputs']
    assert inputs.shape == (BATCH_SIZE, 3, 32, 32)
    assert inputs.dtype == torch.float32
    assert inputs.min() >= -1.0
    assert inputs.max() <= 1.0
    raw = digits_batch['inputs'][0].float()
    assert torch.allclose(inputs[0], (raw - 127.5) / 127.5)
    assert len(data['data_samples']) == BATCH_SIZE


def test_loss_is_finite_and_positive(model, digits_batch):
    data = model.data_preprocessor(digits_batch, training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls'}
    loss = losses['loss_cls']
    assert torch.isfinite(loss)
    assert loss.item() > 0


def test_predict_scores_sum_to_one(model, digits_batch):
    model.eval()
    data = model.data_preprocessor(digits_batch, training=False)
    with torch.no_grad():
        samples = model(**data, mode='predict')
        logits = model(data['inputs'], mode='tensor')

    assert len(samples) == BATCH_SIZE
    for sample, sample_logits in zip(samples, logits):
        assert sample.pred_score.shape == (NUM_CLASSES, )
        assert math.isclose(sample.pred_score.sum().item(), 1.0, abs_tol=1e-5)
        assert sample.pred_label.tolist() == [int(sample_logits.argmax())]
        # The ground truth of the batch stays on the returned sample.
        assert 'gt_label' in sample


def test_tensor_mode_matches_get_logits(model, digits_batch):
    model.eval()
    data = model.data_preprocessor(digits_batch, training=False)
    with torch.no_grad():
        logits = model(data['inputs'], mode='tensor')
        again = model.get_logits(data['inputs'])
    assert logits.shape == (BATCH_SIZE, NUM_CLASSES)
    assert torch.equal(logits, again)
    feats = model.extract_feat(data['inputs'])
    assert feats[-1].shape == (BATCH_SIZE, 64)


def test_sgd_steps_reduce_loss(model, digits_batch):
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    model.train()
    losses = []
    for _ in range(4):
        log_vars = model.train_step(digits_batch, optim_wrapper)
        losses.append(log_vars['loss'].item())
    assert all(math.isfinite(loss) for loss in losses)
    assert losses[-1] < losses[0], losses


def test_soft_labels_match_hard_labels(model, digits_batch):
    model.eval()
    data = model.data_preprocessor(digits_batch, training=False)
    hard_samples = data['data_samples']
    soft_samples = []
    for index, sample in enumerate(hard_samples):
        label = sample.gt_label
        # One-hot floats for half the batch gives a mixed batch.
        if index % 2 == 0:
            label = F.one_hot(label[0], NUM_CLASSES).float()
        soft_samples.append(ClsDataSample().set_gt_label(label))

    with torch.no_grad():
        hard_loss = model(data['inputs'], hard_samples, mode='loss')
        soft_loss = model(data['inputs'], soft_samples, mode='loss')
    assert torch.allclose(hard_loss['loss_cls'], soft_loss['loss_cls'])


def test_soft_label_loss_is_soft_cross_entropy(model, digits_batch):
    model.eval()
    data = model.data_preprocessor(digits_batch, training=False)
    generator = torch.Generator().manual_seed(0)
    targets = torch.rand(BATCH_SIZE, NUM_CLASSES, generator=generator)
    targets = targets / targets.sum(dim=1, keepdim=True)
    samples = [ClsDataSample().set_gt_label(target) for target in targets]

    with torch.no_grad():
        loss = model(data['inputs'], samples, mode='loss')['loss_cls']
        logits = model.get_logits(data['inputs'])
    expected = -(targets * logits.log_softmax(dim=1)).sum(dim=1).mean()
    assert torch.allclose(loss, expected, atol=1e-6)


def test_soft_label_of_wrong_length_raises(model, digits_batch):
    data = model.data_preprocessor(digits_batch, training=False)
    samples = [
        ClsDataSample().set_gt_label(torch.full((7, ), 1 / 7))
        for _ in range(BATCH_SIZE)
    ]
    with pytest.raises(ValueError, match='7 entries'):
        model(data['inputs'], samples, mode='loss')


def test_class_index_out_of_range_raises(model, digits_batch):
    data = model.data_preprocessor(digits_batch, training=False)
    samples = [ClsDataSample().set_gt_label(12) for _ in range(BATCH_SIZE)]
    with pytest.raises(ValueError, match='12'):
        model(data['inputs'], samples, mode='loss')


def test_head_without_neck_asks_for_pooling():
    config = classifier_config()
    config.pop('neck')
    model = MODELS.build(config)
    with pytest.raises(ValueError, match='GlobalAveragePooling'):
        model(torch.rand(1, 3, 32, 32), mode='tensor')


def test_unknown_mode_raises(model):
    with pytest.raises(ValueError, match="'logits'"):
        model(torch.rand(1, 3, 32, 32), mode='logits')


def test_init_weights_applies_default_init(model):
    model.init_weights()
    first_bn = model.backbone.stem[1]
    assert torch.equal(first_bn.weight, torch.ones_like(first_bn.weight))
    assert torch.equal(first_bn.bias, torch.zeros_like(first_bn.bias))
    fc = model.head.fc
    assert torch.equal(fc.bias, torch.zeros_like(fc.bias))
    # Normal(std=0.01) over 640 weights: the sample std is close to 0.01.
    assert 0.008 < fc.weight.std().item() < 0.012
