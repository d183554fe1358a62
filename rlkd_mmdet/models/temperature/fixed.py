"""The same temperature for every instance, as in classic KD."""
from typing import Optional, Tuple

from mmdet.registry import MODELS
from torch import Tensor

from rlkd_mmdet.rl import InstanceStates
from .base import BaseTemperatureSource


@MODELS.register_module()
class FixedTemperature(BaseTemperatureSource):
    """Give every instance the temperature ``temperature``.

    Args:
        temperature (float): The temperature. Defaults to 10.0, the value of
            mmdet's LD configs.
    """

    def __init__(self, temperature: float = 10.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(
                f'temperature must be positive, got {temperature}')
        self.temperature = float(temperature)

    def forward(self,
                instances: InstanceStates,
                image_index: Tensor,
                image_ids: Optional[Tensor] = None
                ) -> Tuple[Tensor, Optional[Tensor]]:
        temperature = instances.states.new_full((len(instances), ),
                                                self.temperature)
        return self._remember(temperature), None
