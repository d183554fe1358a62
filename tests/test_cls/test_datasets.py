"""CIFAR-100, image-folder and digits datasets and their transforms."""
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS, TRANSFORMS

from rlkd_mmdet.cls import ClsDataSample

NUM_FAKE_TRAIN = 5
NUM_FAKE_TEST = 3
FINE_LABEL_NAMES = [f'class_{index:02d}' for index in range(100)]


def write_cifar100_release(folder: str, seed: int = 0) -> dict:
    """Write fake train/test/meta files in the CIFAR-100 pickle format.

    The files hold dicts with byte-string keys, as the python release does.
    Returns the arrays written, keyed by split.
    """
    rng = np.random.default_rng(seed)
    written = {}
    for split, num_images in (('train', NUM_FAKE_TRAIN),
                              ('test', NUM_FAKE_TEST)):
        data = rng.integers(0, 256, size=(num_images, 3072), dtype=np.uint8)
        fine_labels = rng.integers(0, 100, size=num_images).tolist()
        content = {
            b'filenames': [f'img_{i}.png'.encode() for i in range(num_images)],
            b'batch_label': f'{split} batch'.encode(),
            b'fine_labels': fine_labels,
            b'coarse_labels': [label // 5 for label in fine_labels],
            b'data': data,
        }
        with open(osp.join(folder, split), 'wb') as f:
            pickle.dump(content, f)
        written[split] = (data, fine_labels)

    meta = {
        b'fine_label_names': [name.encode() for name in FINE_LABEL_NAMES],
        b'coarse_label_names': [f'super_{i}'.encode() for i in range(20)],
    }
    with open(osp.join(folder, 'meta'), 'wb') as f:
        pickle.dump(meta, f)
    return written


@pytest.fixture
def cifar_root(tmp_path):
    release_dir = tmp_path / 'cifar-100-python'
    release_dir.mkdir()
    written = write_cifar100_release(str(release_dir))
    return str(tmp_path), written


@pytest.mark.parametrize('split', ['train', 'test'])
def test_cifar100_reads_pixels_and_labels(cifar_root, split):
    data_root, written = cifar_root
    data, fine_labels = written[split]
    dataset = DATASETS.build(
        dict(type='CIFAR100Dataset', data_root=data_root, split=split))

    assert len(dataset) == len(data)
    assert dataset.metainfo['classes'] == tuple(FINE_LABEL_NAMES)
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        img = info['img']
        assert img.shape == (32, 32, 3)
        assert img.dtype == np.uint8
        # Row layout of the release: 1024 red, 1024 green, 1024 blue values,
        # each plane in row-major order.
        for channel, row, col in ((0, 0, 0), (1, 5, 7), (2, 31, 30)):
            flat = data[index, channel * 1024 + row * 32 + col]
            assert img[row, col, channel] == flat
        assert np.array_equal(img[..., 1].reshape(-1),
                              data[index, 1024:2048])
        assert info['gt_label'] == fine_labels[index]
        assert info['sample_idx'] == index


def test_cifar100_accepts_flat_layout(tmp_path):
    written = write_cifar100_release(str(tmp_path), seed=1)
    dataset = DATASETS.build(
        dict(type='CIFAR100Dataset', data_root=str(tmp_path), split='test'))
    assert len(dataset) == NUM_FAKE_TEST
    assert dataset.get_data_info(2)['gt_label'] == written['test'][1][2]


def test_cifar100_missing_files_name_path(tmp_path):
    expected_path = osp.join(str(tmp_path), 'cifar-100-python', 'meta')
    with pytest.raises(FileNotFoundError) as error:
        DATASETS.build(
            dict(type='CIFAR100Dataset', data_root=str(tmp_path)))
    message = str(error.value)
    assert expected_path in message
    assert 'cifar-100-python.tar.gz' in message


def test_cifar100_missing_split_file_names_path(tmp_path):
    write_cifar100_release(str(tmp_path))
    (tmp_path / 'test').unlink()
    with pytest.raises(FileNotFoundError, match='test'):
        DATASETS.build(
            dict(
                type='CIFAR100Dataset', data_root=str(tmp_path),
                split='test'))


def test_cifar100_rejects_unknown_split(tmp_path):
    with pytest.raises(ValueError, match="'val'"):
        DATASETS.build(
            dict(type='CIFAR100Dataset', data_root=str(tmp_path),
                 split='val'))


def test_cifar100_pipeline_packs_inputs(cifar_root):
    data_root, written = cifar_root
    data, fine_labels = written['train']
    dataset = DATASETS.build(
        dict(
            type='CIFAR100Dataset',
            data_root=data_root,
            split='train',
            pipeline=[
                dict(type='ClsRandomCrop', size=32, padding=0),
                dict(type='ClsRandomFlip', prob=1.0),
                dict(type='PackClsInputs'),
            ]))

    packed = dataset[1]
    inputs = packed['inputs']
    sample = packed['data_samples']
    original = data[1].reshape(3, 32, 32)
    assert inputs.dtype == torch.uint8
    assert inputs.shape == (3, 32, 32)
    assert torch.equal(inputs, torch.from_numpy(original[:, :, ::-1].copy()))
    assert isinstance(sample, ClsDataSample)
    assert sample.gt_label.tolist() == [fine_labels[1]]
    assert sample.metainfo['sample_idx'] == 1
    assert sample.metainfo['flip'] is True
    assert sample.metainfo['flip_direction'] == 'horizontal'


def test_random_crop_shifts_within_padding():
    np.random.seed(0)
    # Values start at 1, so the zero padding differs from every image pixel.
    img = np.arange(1, 32 * 32 + 1, dtype=np.int64).reshape(32, 32)
    padded = np.pad(img, 4)
    crop = TRANSFORMS.build(dict(type='ClsRandomCrop', size=32, padding=4))
    offsets = set()
    for _ in range(20):
        out = crop(dict(img=img.copy()))['img']
        assert out.shape == (32, 32)
        # Locate the crop window from its first image pixel.
        rows, cols = np.nonzero(out)
        value = int(out[rows.min(), cols.min()]) - 1
        top = value // 32 + 4 - rows.min()
        left = value % 32 + 4 - cols.min()
        assert 0 <= top <= 8
        assert 0 <= left <= 8
        assert np.array_equal(out, padded[top:top + 32, left:left + 32])
        offsets.add((top, left))
    assert len(offsets) > 1


def test_random_flip_never_flips_at_prob_zero():
    img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    flip = TRANSFORMS.build(dict(type='ClsRandomFlip', prob=0.0))
    results = flip(dict(img=img.copy()))
    assert np.array_equal(results['img'], img)
    assert results['flip'] is False


def test_random_flip_vertical():
    img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    flip = TRANSFORMS.build(
        dict(type='ClsRandomFlip', prob=1.0, direction='vertical'))
    assert np.array_equal(flip(dict(img=img.copy()))['img'], img[::-1])


def make_image_folder(root, layout):
    for class_name, file_names in layout.items():
        class_dir = root / class_name
        class_dir.mkdir(parents=True)
        for file_name in file_names:
            (class_dir / file_name).write_bytes(b'not decoded by the test')


def test_image_folder_lists_sorted_classes(tmp_path):
    make_image_folder(
        tmp_path / 'train', {
            'n02': ['b.JPEG', 'a.JPEG'],
            'n01': ['x.jpeg', 'notes.txt'],
        })
    dataset = DATASETS.build(
        dict(
            type='ImageFolderDataset', data_root=str(tmp_path),
            split='train'))

    assert dataset.metainfo['classes'] == ('n01', 'n02')
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [osp.basename(info['img_path']) for info in infos] == [
        'x.jpeg', 'a.JPEG', 'b.JPEG'
    ]
    assert [info['gt_label'] for info in infos] == [0, 1, 1]
    assert [info['sample_idx'] for info in infos] == [0, 1, 2]


def test_image_folder_uses_given_classes(tmp_path):
    make_image_folder(tmp_path / 'val', {'n02': ['a.JPEG']})
    dataset = DATASETS.build(
        dict(
            type='ImageFolderDataset',
            data_root=str(tmp_path),
            split='val',
            metainfo=dict(classes=('n01', 'n02'))))
    assert dataset.get_data_info(0)['gt_label'] == 1


def test_image_folder_loads_images_in_pipeline(tmp_path):
    import mmcv

    class_dir = tmp_path / 'val' / 'n03'
    class_dir.mkdir(parents=True)
    img = np.random.default_rng(0).integers(
        0, 256, size=(6, 5, 3), dtype=np.uint8)
    mmcv.imwrite(img, str(class_dir / 'a.png'))
    dataset = DATASETS.build(
        dict(
            type='ImageFolderDataset',
            data_root=str(tmp_path),
            split='val',
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='PackClsInputs'),
            ]))

    packed = dataset[0]
    # PNG is lossless, and mmcv reads and writes BGR, so the pixels match.
    assert torch.equal(packed['inputs'],
                       torch.from_numpy(img.transpose(2, 0, 1).copy()))
    sample = packed['data_samples']
    assert sample.gt_label.tolist() == [0]
    assert sample.metainfo['img_path'] == str(class_dir / 'a.png')
    assert sample.metainfo['ori_shape'] == (6, 5)


def test_image_folder_missing_split_names_path(tmp_path):
    expected = osp.join(str(tmp_path), 'val')
    with pytest.raises(FileNotFoundError, match='not found') as error:
        DATASETS.build(
            dict(
                type='ImageFolderDataset', data_root=str(tmp_path),
                split='val'))
    assert expected in str(error.value)


def test_image_folder_without_images_raises(tmp_path):
    make_image_folder(tmp_path / 'train', {'n01': ['readme.txt']})
    with pytest.raises(FileNotFoundError, match='no images'):
        DATASETS.build(
            dict(
                type='ImageFolderDataset', data_root=str(tmp_path),
                split='train'))


def test_image_folder_without_class_folders_raises(tmp_path):
    (tmp_path / 'train').mkdir()
    with pytest.raises(FileNotFoundError, match='no class folders'):
        DATASETS.build(
            dict(
                type='ImageFolderDataset', data_root=str(tmp_path),
                split='train'))


def test_digits_split_sizes_and_disjoint():
    train = DATASETS.build(dict(type='DigitsClsDataset', split='train'))
    val = DATASETS.build(dict(type='DigitsClsDataset', split='val'))

    # load_digits() has 1797 images. A 30 % val split of scikit-learn's
    # train_test_split gets ceil(0.3 * 1797) = 540 of them.
    assert len(train) == 1257
    assert len(val) == 540
    train_rows = {train.get_data_info(i)['source_index']
                  for i in range(len(train))}
    val_rows = {val.get_data_info(i)['source_index'] for i in range(len(val))}
    assert train_rows.isdisjoint(val_rows)
    assert train_rows | val_rows == set(range(1797))
    assert train.metainfo['classes'] == tuple('0123456789')


def test_digits_split_is_stratified_and_deterministic():
    val = DATASETS.build(dict(type='DigitsClsDataset', split='val'))
    again = DATASETS.build(dict(type='DigitsClsDataset', split='val'))
    labels = np.array(
        [val.get_data_info(i)['gt_label'] for i in range(len(val))])
    again_labels = np.array(
        [again.get_data_info(i)['gt_label'] for i in range(len(again))])
    assert np.array_equal(labels, again_labels)
    # About 180 images per class in load_digits(), so 54 per class in val.
    counts = np.bincount(labels, minlength=10)
    assert counts.min() >= 52
    assert counts.max() <= 56


def test_digits_images_are_upsampled_rgb():
    from sklearn.datasets import load_digits

    digits = load_digits()
    dataset = DATASETS.build(dict(type='DigitsClsDataset', split='train'))
    info = dataset.get_data_info(0)
    img = info['img']
    source = digits.images[info['source_index']]

    assert img.shape == (32, 32, 3)
    assert img.dtype == np.uint8
    assert np.array_equal(img[..., 0], img[..., 2])
    # Pixel (row, col) of the 8x8 digit fills a 4x4 block, scaled to 255.
    expected = np.rint(source[2, 5] * 255 / 16)
    assert np.all(img[8:12, 20:24, 1] == expected)
    assert info['gt_label'] == digits.target[info['source_index']]
