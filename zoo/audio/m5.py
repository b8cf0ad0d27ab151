"""M5 — Dai et al., "Very Deep Convolutional Neural Networks for Raw Waveforms" (ICASSP 2017).
https://arxiv.org/abs/1610.00087

A classifier that reads the waveform directly, with no spectrogram: the first convolution has a
long receptive field (80 samples = 10 ms at 8 kHz) and a large stride, so it learns its own
filterbank; small 3-tap convolutions and max-pooling follow, then global average pooling replaces
fully connected layers. "M5" is the paper's 5-layer net (4 convolutions + the classifier).

The paper's M5 is wider (128…512 channels) and was trained on UrbanSound8K. The configuration here
is the widely used tutorial one for Speech Commands: 32/32/64/64 channels, first stride 16, 35 word
classes, 26,915 parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..registry import register_model
from ..weights import Weights, register_weights


@dataclass(frozen=True)
class M5Config:
    in_channels: int = 1  # mono waveform
    channels: int = 32  # width of the first two convolutions; the last two use twice this
    first_kernel: int = 80  # 10 ms at 8 kHz: long enough to resolve the lowest speech frequencies
    first_stride: int = 16
    pool: int = 4
    num_classes: int = 35  # the Speech Commands v2 vocabulary


class ConvBlock(nn.Module):
    """Convolution → BatchNorm → ReLU → max-pool, the unit M5 repeats four times (paper Table 1)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, pool: int):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride)
        self.bn = nn.BatchNorm1d(out_channels)  # the paper adds BN after every convolution for its deep nets
        self.pool = nn.MaxPool1d(pool)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(F.relu(self.bn(self.conv(x))))


class M5(nn.Module):
    def __init__(self, cfg: M5Config = M5Config()):
        super().__init__()
        self.cfg = cfg
        c = cfg.channels
        # the "learned filterbank": one long, strided convolution over raw samples
        self.block1 = ConvBlock(cfg.in_channels, c, cfg.first_kernel, cfg.first_stride, cfg.pool)
        self.block2 = ConvBlock(c, c, 3, 1, cfg.pool)
        self.block3 = ConvBlock(c, 2 * c, 3, 1, cfg.pool)
        self.block4 = ConvBlock(2 * c, 2 * c, 3, 1, cfg.pool)
        self.classifier = nn.Linear(2 * c, cfg.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.block1(x)  # (B, 32, 124) for 8,000 samples: conv → 496 frames, pool → 124
        x = self.block2(x)  # (B, 32, 30)
        x = self.block3(x)  # (B, 64, 7)
        x = self.block4(x)  # (B, 64, 1)
        x = x.mean(dim=-1)  # global average pooling instead of fully connected layers: fewer parameters, any length
        return self.classifier(x)  # (B, 35) logits; the tutorial applies log_softmax for an NLL loss


@register_model(
    card=ModelCard(
        key="m5",
        name="M5",
        family="Very deep raw-waveform CNNs",
        domain="audio",
        task="audio classification",
        year=2017,
        paper=Paper(
            "Very Deep Convolutional Neural Networks for Raw Waveforms",
            "https://arxiv.org/abs/1610.00087",
            authors="W. Dai, C. Dai, S. Qu, J. Li, S. Das",
            venue="ICASSP 2017",
        ),
        level="basic",
        summary=(
            "A small 1-D CNN that classifies sounds straight from the raw waveform. A long, strided first "
            "convolution learns its own filterbank in place of a hand-made spectrogram; three small "
            "convolutions with batch norm and max-pooling follow, and global average pooling feeds a linear "
            "classifier. This tutorial-sized variant recognises 35 spoken command words from one second of 8 kHz audio."
        ),
        scenarios=(
            "keyword spotting (Speech Commands)",
            "environmental sound classification",
            "teaching end-to-end audio models",
        ),
        strengths=(
            "tiny (27K parameters) and fast on any CPU",
            "no feature engineering: learns its front end from samples",
            "global average pooling accepts clips of any length",
        ),
        weaknesses=(
            "less accurate than spectrogram CNNs or transformers on hard audio tasks",
            "fixed 8 kHz sample rate: other rates must be resampled",
            "a single label per clip, no timing of events",
        ),
        params=Figure(26_915, "PyTorch 'Speech Command Classification with torchaudio' tutorial M5 (n_channel=32)"),
        input="raw mono waveform (1, 1, 8000): one second at 8 kHz",
        output="(1, 35) logits over the Speech Commands words (apply log_softmax for the tutorial's NLL loss)",
        config_note=(
            "Tutorial configuration: conv 1→32 (kernel 80, stride 16), 32→32, 32→64, 64→64 (kernel 3), each "
            "with BatchNorm, ReLU and max-pool 4; global average pool; Linear 64→35. The paper's M5 uses "
            "128/128/256/512 channels and stride 4 on UrbanSound8K; no accuracy is published for this configuration."
        ),
        tags=("cnn", "raw waveform", "keyword spotting", "speech commands", "1d convolution"),
        i18n={
            "zh": {
                "task": "音频分类",
                "summary": "直接在原始波形上分类声音的小型一维卷积网络。第一层是又长又带大步长的卷积，自己学出一组滤波器，"
                "取代人工设计的频谱；随后是三层带批归一化和最大池化的小卷积，再用全局平均池化接线性分类器。"
                "这个教程规模的版本可以从一秒 8 kHz 音频中识别 35 个语音命令词。",
                "scenarios": ["关键词识别（Speech Commands）", "环境声音分类", "端到端音频模型教学"],
                "strengths": ["极小（2.7 万参数），任何 CPU 都很快", "无需特征工程：直接从样本学习前端", "全局平均池化可接受任意长度的音频"],
                "weaknesses": [
                    "在困难音频任务上不如频谱 CNN 或 Transformer 准确",
                    "采样率固定为 8 kHz：其他采样率需要先重采样",
                    "每段音频只有一个标签，无法定位事件发生时间",
                ],
                "input": "单声道原始波形 (1, 1, 8000)：8 kHz 下的一秒音频",
                "output": "(1, 35) 的 Speech Commands 词类 logits（教程的 NLL 损失需先做 log_softmax）",
            }
        },
    ),
    example_input=lambda: torch.randn(1, 1, 8000),
)
def m5(**overrides) -> M5:
    return M5(replace(M5Config(), **overrides))


# ----------------------------------------------------------------------------- trained weights
register_weights(
    Weights(
        model="m5",
        name="spoken_digits",
        description="The ten English digits, learned from espeak-ng's synthetic voices (10 classes, 8 kHz).",
        dataset="espeak-ng 'zero'…'nine', many accents × voice variants; evaluated on held-out voices",
        source="shipped",
        file="m5_spoken_digits.safetensors",
        recipe="spoken_digits",
        config={"num_classes": 10},
        metrics={"held-out-voice accuracy %": 99.1},
        preprocessing=(
            "mono, resampled to 8 kHz, the 1 s window centred on the speech energy (zero-padded if shorter), "
            "peak-normalised to 1: zoo.demos.spoken_digits.prepare"
        ),
        labels=("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    )
)
