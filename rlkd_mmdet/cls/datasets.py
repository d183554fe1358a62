"""Image classification datasets: CIFAR-100, image folders and digits.

None of them downloads anything: CIFAR-100 and ImageNet must be placed on
disk beforehand, and the digits ship with scikit-learn.
"""
import os
import os.path as osp
import pickle
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmdet.registry import DATASETS, TRANSFORMS
from mmengine.dataset import BaseDataset

CIFAR100_URL = 'https://www.cs.toronto.edu/~kriz/cifar.html'


def build_pipeline(
        pipeline: Sequence[Union[dict, Callable]]) -> List[Callable]:
    """Build the transform configs of ``pipeline`` from mmdet's registry.

    mmengine's ``BaseDataset`` would look the types up in mmengine's root
    registry, which finds this package's transforms only when the default
    scope is mmdet.

    Args:
        pipeline (Sequence[dict | Callable]): Transform configs or
            transforms.

    Returns:
        list[Callable]: The transforms.
    """
    return [
        TRANSFORMS.build(transform) if isinstance(transform, dict) else
        transform for transform in pipeline
    ]


def _get_pickle_entry(content: dict, key: str, path: str) -> Any:
    """Read ``key`` from an unpickled CIFAR file, whose keys are bytes."""
    for candidate in (key.encode(), key):
        if candidate in content:
            return content[candidate]
    raise KeyError(
        f'{path} has no entry {key!r}; its keys are {sorted(content)}. '
        f'Is it a file of the CIFAR-100 python release?')


@DATASETS.register_module()
class CIFAR100Dataset(BaseDataset):
    """CIFAR-100 read from the python release, with the 100 fine labels.

    Download ``cifar-100-python.tar.gz`` (the "python version") from
    https://www.cs.toronto.edu/~kriz/cifar.html and extract it into
    ``data_root``::

        data/cifar100/
            cifar-100-python/
                meta
                train
                test

    The files may also lie directly in ``data_root``. Each is a pickled dict
    with byte-string keys: ``b'data'`` (uint8, shape (N, 3072), the red,
    green and blue 32x32 planes of each image in turn) and ``b'fine_labels'``
    in ``train`` and ``test``, ``b'fine_label_names'`` in ``meta``. The
    files are unpickled, so only read files from a trusted source.

    Each data info contains ``img`` (RGB uint8 array of shape (32, 32, 3)),
    ``gt_label`` (int), ``sample_idx``, ``img_shape`` and ``ori_shape``.

    Args:
        data_root (str): Folder with the files or their
            ``cifar-100-python`` folder. Defaults to ``'data/cifar100'``.
        split (str): ``'train'`` (50000 images) or ``'test'`` (10000
            images). Defaults to ``'train'``.
        pipeline (Sequence[dict | Callable]): Transforms (or their configs)
            applied to each data info. Defaults to ().
        metainfo (dict, optional): Overrides of the metainfo; ``classes``
            defaults to the fine label names in ``meta``. Defaults to None.
        **kwargs: Other arguments of :class:`mmengine.dataset.BaseDataset`,
            such as ``indices``, ``test_mode`` or ``lazy_init``.
    """

    splits = ('train', 'test')
    folder_name = 'cifar-100-python'

    def __init__(self,
                 data_root: str = 'data/cifar100',
                 split: str = 'train',
                 pipeline: Sequence[dict] = (),
                 metainfo: Optional[dict] = None,
                 **kwargs):
        if split not in self.splits:
            raise ValueError(
                f'split must be one of {self.splits}, but got {split!r}')
        self.split = split
        super().__init__(
            data_root=data_root,
            pipeline=build_pipeline(pipeline),
            metainfo=metainfo,
            **kwargs)

    def find_file(self, name: str) -> str:
        """Return the path of a file of the release.

        Args:
            name (str): ``'train'``, ``'test'`` or ``'meta'``.

        Returns:
            str: ``data_root/cifar-100-python/name`` or, failing that,
            ``data_root/name``.
        """
        candidates = [
            osp.join(self.data_root, self.folder_name, name),
            osp.join(self.data_root, name),
        ]
        for path in candidates:
            if osp.isfile(path):
                return path
        raise FileNotFoundError(
            f'CIFAR-100 file {name!r} not found: looked for '
            f'{candidates[0]} and {candidates[1]}. Download '
            f'cifar-100-python.tar.gz (python version) from {CIFAR100_URL} '
            f'and extract it into {self.data_root}, so that '
            f'{candidates[0]} exists next to the train, test and meta files. '
            f'This dataset never downloads files itself.')

    def load_data_list(self) -> List[dict]:
        """Read the images and fine labels of the split.

        Returns:
            list[dict]: One data info per image.
        """
        meta_path = self.find_file('meta')
        with open(meta_path, 'rb') as f:
            meta = pickle.load(f, encoding='bytes')
        class_names = _get_pickle_entry(meta, 'fine_label_names', meta_path)
        class_names = tuple(
            name.decode() if isinstance(name, bytes) else str(name)
            for name in class_names)
        self._metainfo.setdefault('classes', class_names)

        split_path = self.find_file(self.split)
        with open(split_path, 'rb') as f:
            content = pickle.load(f, encoding='bytes')
        data = np.asarray(_get_pickle_entry(content, 'data', split_path))
        labels = _get_pickle_entry(content, 'fine_labels', split_path)
        if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise ValueError(
                f"{split_path}: 'data' must have shape (N, 3072), but has "
                f'shape {data.shape}')
        if len(labels) != len(data):
            raise ValueError(
                f"{split_path}: 'data' has {len(data)} images but "
                f"'fine_labels' has {len(labels)} labels")

        images = data.astype(np.uint8).reshape(-1, 3, 32, 32)
        images = images.transpose(0, 2, 3, 1)
        num_classes = len(self._metainfo['classes'])
        data_list = []
        for index, (img, label) in enumerate(zip(images, labels)):
            label = int(label)
            if not 0 <= label < num_classes:
                raise ValueError(
                    f'{split_path}: image {index} has fine label {label}, '
                    f'outside [0, {num_classes - 1}]')
            data_list.append(
                dict(
                    img=np.ascontiguousarray(img),
                    gt_label=label,
                    sample_idx=index,
                    img_shape=(32, 32),
                    ori_shape=(32, 32)))
        return data_list


@DATASETS.register_module()
class ImageFolderDataset(BaseDataset):
    """Images sorted into one folder per class, e.g. ImageNet.

    The expected layout, with class folders named by WordNet id for
    ImageNet::

        data/imagenet/
            train/
                n01440764/
                    n01440764_10026.JPEG
                    ...
            val/
                n01440764/
                    ILSVRC2012_val_00000293.JPEG
                    ...

    Class indices follow the sorted class folder names, unless
    ``metainfo=dict(classes=...)`` sets them. When a class folder may be
    missing from one split, give the same classes to both splits. Images are found recursively inside each class folder and sorted
    by path. Each data info holds ``img_path``, ``gt_label`` and
    ``sample_idx``; the pipeline must start with a loading transform such as
    mmcv's ``LoadImageFromFile``.

    Args:
        data_root (str): Folder with one sub-folder per split.
            Defaults to ``'data/imagenet'``.
        split (str): Name of the split folder, e.g. ``'train'`` or
            ``'val'``. Defaults to ``'train'``.
        extensions (Sequence[str]): Accepted file extensions, compared
            without case. Defaults to ('.jpeg', '.jpg', '.png').
        pipeline (Sequence[dict | Callable]): Transforms (or their configs)
            applied to each data info. Defaults to ().
        metainfo (dict, optional): Overrides of the metainfo, e.g.
            ``classes``. Defaults to None.
        **kwargs: Other arguments of :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self,
                 data_root: str = 'data/imagenet',
                 split: str = 'train',
                 extensions: Sequence[str] = ('.jpeg', '.jpg', '.png'),
                 pipeline: Sequence[dict] = (),
                 metainfo: Optional[dict] = None,
                 **kwargs):
        if not split:
            raise ValueError('split must name a folder, e.g. "train"')
        self.split = split
        self.extensions = tuple(ext.lower() for ext in extensions)
        super().__init__(
            data_root=data_root,
            pipeline=build_pipeline(pipeline),
            metainfo=metainfo,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """List the images of the split and their class indices.

        Returns:
            list[dict]: One data info per image.
        """
        split_dir = osp.join(self.data_root, self.split)
        layout_hint = (
            f'expected {split_dir}/<class name>/<image file>, e.g. '
            f'{split_dir}/n01440764/n01440764_10026.JPEG')
        if not osp.isdir(split_dir):
            raise FileNotFoundError(
                f'image folder {split_dir} not found: {layout_hint}')

        folder_names = sorted(
            entry.name for entry in os.scandir(split_dir) if entry.is_dir())
        if not folder_names:
            raise FileNotFoundError(
                f'image folder {split_dir} has no class folders: '
                f'{layout_hint}')

        if 'classes' in self._metainfo:
            classes = tuple(self._metainfo['classes'])
            unknown = sorted(set(folder_names) - set(classes))
            if unknown:
                raise ValueError(
                    f'{split_dir} has class folders {unknown[:5]} that are '
                    f'not in metainfo classes ({len(classes)} names); add '
                    f'them or remove the folders')
        else:
            classes = tuple(folder_names)
            self._metainfo['classes'] = classes
        class_to_index = {name: index for index, name in enumerate(classes)}

        data_list = []
        for folder_name in folder_names:
            for img_path in self._list_images(
                    osp.join(split_dir, folder_name)):
                data_list.append(
                    dict(
                        img_path=img_path,
                        gt_label=class_to_index[folder_name],
                        sample_idx=len(data_list)))
        if not data_list:
            raise FileNotFoundError(
                f'no images with extensions {self.extensions} found under '
                f'{split_dir}: {layout_hint}')
        return data_list

    def _list_images(self, folder: str) -> List[str]:
        """List the image files under ``folder`` recursively, sorted."""
        paths = []
        for root, _, file_names in os.walk(folder):
            for file_name in file_names:
                if osp.splitext(file_name)[1].lower() in self.extensions:
                    paths.append(osp.join(root, file_name))
        return sorted(paths)


@DATASETS.register_module()
class DigitsClsDataset(BaseDataset):
    """scikit-learn's handwritten digits as a small 32x32 RGB dataset.

    ``sklearn.datasets.load_digits()`` ships 1797 real 8x8 grey-scale
    digits (values 0 to 16) with scikit-learn, so no download is needed.
    Each image is scaled to uint8 (0 to 255), enlarged 4 times by pixel
    repetition to 32x32 and copied into 3 channels, so the CIFAR backbones
    run on it unchanged. A stratified split with a fixed seed puts
    ``val_ratio`` of the images of each class into ``'val'`` and the rest
    into ``'train'`` (1257 and 540 images with the defaults).

    Each data info contains ``img`` (uint8 array of shape (32, 32, 3)),
    ``gt_label`` (int), ``sample_idx``, ``source_index`` (the row in
    ``load_digits()``), ``img_shape`` and ``ori_shape``.

    Args:
        split (str): ``'train'`` or ``'val'``. Defaults to ``'train'``.
        val_ratio (float): Fraction of the images in the val split.
            Defaults to 0.3.
        seed (int): Seed of the split. Defaults to 0.
        pipeline (Sequence[dict | Callable]): Transforms (or their configs)
            applied to each data info. Defaults to ().
        **kwargs: Other arguments of :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = dict(classes=tuple(str(digit) for digit in range(10)))
    splits = ('train', 'val')
    scale = 4

    def __init__(self,
                 split: str = 'train',
                 val_ratio: float = 0.3,
                 seed: int = 0,
                 pipeline: Sequence[dict] = (),
                 **kwargs):
        if split not in self.splits:
            raise ValueError(
                f'split must be one of {self.splits}, but got {split!r}')
        if not 0.0 < val_ratio < 1.0:
            raise ValueError(
                f'val_ratio must be in (0, 1), but got {val_ratio}')
        self.split = split
        self.val_ratio = val_ratio
        self.seed = seed
        super().__init__(pipeline=build_pipeline(pipeline), **kwargs)

    def split_indices(self, labels: np.ndarray) -> Tuple[np.ndarray,
                                                         np.ndarray]:
        """Split the row indices of ``load_digits()`` into train and val.

        Args:
            labels (np.ndarray): Class of each row.

        Returns:
            tuple[np.ndarray, np.ndarray]: Sorted train and val row indices.
        """
        from sklearn.model_selection import train_test_split

        train_indices, val_indices = train_test_split(
            np.arange(len(labels)),
            test_size=self.val_ratio,
            random_state=self.seed,
            stratify=labels)
        return np.sort(train_indices), np.sort(val_indices)

    def load_data_list(self) -> List[dict]:
        """Load the digits and build the data infos of the split.

        Returns:
            list[dict]: One data info per image.
        """
        from sklearn.datasets import load_digits

        digits = load_digits()
        labels = digits.target.astype(np.int64)
        images = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)
        images = images.repeat(self.scale, axis=1).repeat(self.scale, axis=2)
        images = np.repeat(images[..., None], 3, axis=3)

        train_indices, val_indices = self.split_indices(labels)
        indices = train_indices if self.split == 'train' else val_indices
        height, width = images.shape[1:3]
        data_list = []
        for sample_idx, source_index in enumerate(indices):
            data_list.append(
                dict(
                    img=images[source_index],
                    gt_label=int(labels[source_index]),
                    sample_idx=sample_idx,
                    source_index=int(source_index),
                    img_shape=(height, width),
                    ori_shape=(height, width)))
        return data_list
