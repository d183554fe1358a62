"""MMDetection modules of RLKD; importing this registers them.

Importing also allows the types of mmengine checkpoints in
``torch.load(weights_only=True)``, which teachers are loaded with.
"""
from rlkd_mmdet.utils import register_checkpoint_safe_globals
from .dense_heads import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .roi_heads import *  # noqa: F401,F403
from .temperature import *  # noqa: F401,F403

register_checkpoint_safe_globals()
