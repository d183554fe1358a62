"""ClsDataSample label fields."""
import numpy as np
import pytest
import torch

from rlkd_mmdet.cls import ClsDataSample


@pytest.mark.parametrize('value', [3, np.int64(3), [3], np.array([3]),
                                   torch.tensor(3), torch.tensor([3])])
def test_class_index_becomes_long_vector(value):
    sample = ClsDataSample()
    sample.gt_label = value
    assert sample.gt_label.dtype == torch.long
    assert sample.gt_label.tolist() == [3]
    assert not sample.is_soft_label()


def test_float_vector_is_soft_label():
    sample = ClsDataSample().set_gt_label(np.array([0.25, 0.75]))
    assert sample.gt_label.dtype == torch.float32
    assert sample.gt_label.tolist() == [0.25, 0.75]
    assert sample.is_soft_label()


def test_pred_score_sets_pred_label():
    sample = ClsDataSample().set_pred_score(torch.tensor([0.2, 0.5, 0.3]))
    assert sample.pred_label.tolist() == [1]
    assert sample.pred_label.dtype == torch.long


def test_fields_survive_to_dict_and_device_move():
    sample = ClsDataSample(metainfo=dict(sample_idx=4)).set_gt_label(2)
    sample.set_pred_score(torch.tensor([0.1, 0.9]))
    as_dict = sample.to('cpu').to_dict()
    assert as_dict['sample_idx'] == 4
    assert as_dict['gt_label'].tolist() == [2]
    assert as_dict['pred_label'].tolist() == [1]


def test_matrix_label_raises():
    with pytest.raises(ValueError, match=r'\(2, 2\)'):
        ClsDataSample().set_gt_label(torch.zeros(2, 2))


def test_float_pred_label_raises():
    sample = ClsDataSample()
    with pytest.raises(TypeError, match='pred_score'):
        sample.pred_label = torch.tensor([0.5])


def test_bool_label_raises():
    with pytest.raises(TypeError, match='bool'):
        ClsDataSample().set_gt_label(torch.tensor([True]))
