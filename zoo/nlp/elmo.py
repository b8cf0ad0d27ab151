"""ELMo — Peters et al., "Deep contextualized word representations" (NAACL 2018).
https://arxiv.org/abs/1802.05365

Word vectors such as word2vec give "bank" one vector whether it holds money or borders a river. ELMo
gives each word a vector computed from the whole sentence: a two-layer bidirectional language model
(biLM) is pretrained to predict the next word (forward LSTMs) and the previous word (backward LSTMs),
and a word's representation is a learned mix of every layer of that biLM at its position (§3.2):

    ELMo_k = γ · Σ_{j=0}^{L} s_j · h_{k,j},      s = softmax(w)          (Eq. 1, the "scalar mix")

with h_{k,0} the context-free token vector (duplicated to match the 2×512 layers) and h_{k,1}, h_{k,2}
the concatenated forward and backward LSTM states. Lower layers end up encoding syntax, upper layers
word sense.

The biLM is "Original" ELMo (AllenNLP's `elmo_2x4096_512_2048cnn_2xhighway`, 93.6M parameters):
- token vectors from characters (Kim et al. 2016, "Character-Aware Neural Language Models"): each
  token is 50 character ids (UTF-8 bytes + 5 specials, 262 ids with padding) → 16-d embeddings →
  convolutions of widths 1…7 with 32, 32, 64, 128, 256, 512, 1024 filters (2048 in all), max over the
  characters, ReLU → 2 highway layers (Srivastava et al. 2015) → linear projection to 512;
- per direction, two LSTMs with 4096 cells whose 4096-d output is projected to 512 (LSTMP, Sak et al.
  2014), cell values clipped to ±3 and projections to ±3, and a residual connection from the first
  layer's output to the second's;
- sentence boundary tokens <S> and </S> are added around each sentence, as AllenNLP does, and removed
  from the output.
The language model's softmax over the vocabulary is used only in pretraining and is not part of ELMo.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from .bilstm_crf import reverse_padded

# Character ids as AllenNLP writes them: UTF-8 bytes 0–255, then 5 special characters, all + 1 so that
# 0 is padding (an empty token is all zeros).
BOS_CHAR, EOS_CHAR, BOW_CHAR, EOW_CHAR, PAD_CHAR = 256, 257, 258, 259, 260


@dataclass(frozen=True)
class ELMoConfig:
    n_chars: int = 262  # 256 bytes + 5 specials + 0 = padding
    char_dim: int = 16
    max_chars: int = 50  # characters per token, including begin/end-of-word
    filters: tuple[tuple[int, int], ...] = ((1, 32), (2, 32), (3, 64), (4, 128), (5, 256), (6, 512), (7, 1024))
    highway_layers: int = 2
    dim: int = 512  # token projection and LSTM projection size
    cells: int = 4096  # LSTM memory cells
    layers: int = 2
    cell_clip: float | None = 3.0
    proj_clip: float | None = 3.0


def _special_token(cfg: ELMoConfig, char: int) -> torch.Tensor:
    """The character ids of <S> or </S>: begin-of-word, the special character, end-of-word, padding chars."""
    ids = torch.full((cfg.max_chars,), PAD_CHAR)
    ids[:3] = torch.tensor([BOW_CHAR, char, EOW_CHAR])
    return ids + 1


def char_ids(words: list[str], cfg: ELMoConfig = ELMoConfig()) -> torch.Tensor:
    """Words → character ids (len(words), max_chars): <bow> UTF-8 bytes (cut to fit) <eow>, padded."""
    out = torch.zeros(len(words), cfg.max_chars, dtype=torch.long)
    for i, w in enumerate(words):
        b = list(w.encode("utf-8"))[: cfg.max_chars - 2]
        ids = [BOW_CHAR, *b, EOW_CHAR] + [PAD_CHAR] * (cfg.max_chars - 2 - len(b))
        out[i] = torch.tensor(ids) + 1
    return out


class Highway(nn.Module):
    """y = g ⊙ x + (1 − g) ⊙ ReLU(W_h x + b_h),  g = σ(W_g x + b_g)   (Srivastava et al. 2015)."""

    def __init__(self, dim: int):
        super().__init__()
        self.proj = nn.Linear(dim, 2 * dim)  # the nonlinear part and the gate in one product
        with torch.no_grad():
            self.proj.bias[dim:].fill_(1.0)  # gates start leaning towards carrying x through

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, g = self.proj(x).chunk(2, dim=-1)
        g = torch.sigmoid(g)
        return g * x + (1 - g) * torch.relu(h)


class CharCNN(nn.Module):
    """Token vectors from characters (Kim et al. 2016): (N, max_chars) ids → (N, dim)."""

    def __init__(self, cfg: ELMoConfig):
        super().__init__()
        self.embedding = nn.Embedding(cfg.n_chars, cfg.char_dim, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(cfg.char_dim, n, w) for w, n in cfg.filters)
        total = sum(n for _, n in cfg.filters)  # 2048
        self.highways = nn.ModuleList(Highway(total) for _ in range(cfg.highway_layers))
        self.projection = nn.Linear(total, cfg.dim)

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        x = self.embedding(chars).transpose(1, 2)  # (N, char_dim, max_chars)
        # each filter is a character n-gram detector; its max over the word says whether the n-gram occurs
        x = torch.cat([torch.relu(conv(x).amax(dim=-1)) for conv in self.convs], dim=-1)  # (N, 2048)
        for hw in self.highways:
            x = hw(x)
        return self.projection(x)  # (N, 512)


class LSTMP(nn.Module):
    """LSTM with a projected, clipped output (AllenNLP's LstmCellWithProjection), one direction, one layer:

        i, f, g, o = split(W x_t + U h_{t-1} + b)          (no bias on the input side: one bias per gate)
        c_t = clip(σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g), ±cell_clip)
        h_t = clip(P (σ(o) ⊙ tanh(c_t)), ±proj_clip)        P: cells → dim, no bias
    The recurrence runs on the 512-d projection, so U is 4·4096 × 512 instead of 4·4096 × 4096.
    """

    def __init__(self, dim: int, cells: int, cell_clip: float | None, proj_clip: float | None):
        super().__init__()
        self.input_linearity = nn.Linear(dim, 4 * cells, bias=False)
        self.state_linearity = nn.Linear(dim, 4 * cells)
        self.state_projection = nn.Linear(cells, dim, bias=False)
        self.cells, self.dim, self.cell_clip, self.proj_clip = cells, dim, cell_clip, proj_clip

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """x (B, T, dim), keep (B, T) bool (padding at the end) → h (B, T, dim), zeros on padding."""
        B, T, _ = x.shape
        wx = self.input_linearity(x)  # (B, T, 4·cells)
        h, c = x.new_zeros(B, self.dim), x.new_zeros(B, self.cells)
        out = []
        for t in range(T):
            i, f, g, o = (wx[:, t] + self.state_linearity(h)).chunk(4, dim=-1)
            c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            if self.cell_clip is not None:
                c_new = c_new.clamp(-self.cell_clip, self.cell_clip)  # keeps the 4096 cells from drifting off
            h_new = self.state_projection(torch.sigmoid(o) * torch.tanh(c_new))
            if self.proj_clip is not None:
                h_new = h_new.clamp(-self.proj_clip, self.proj_clip)
            k = keep[:, t, None]
            c, h = torch.where(k, c_new, c), torch.where(k, h_new, h)
            out.append(h_new * k)
        return torch.stack(out, dim=1)


class ELMo(nn.Module):
    def __init__(self, cfg: ELMoConfig = ELMoConfig()):
        super().__init__()
        self.cfg = cfg
        self.char_cnn = CharCNN(cfg)

        def stack():
            return nn.ModuleList(LSTMP(cfg.dim, cfg.cells, cfg.cell_clip, cfg.proj_clip) for _ in range(cfg.layers))

        self.forward_lstms, self.backward_lstms = stack(), stack()
        # Eq. 1: softmax-normalised weights s_j over the L + 1 layers and a scale γ (task-specific in the paper)
        self.mix_weights = nn.Parameter(torch.zeros(cfg.layers + 1))
        self.gamma = nn.Parameter(torch.ones(()))
        self.register_buffer("bos", _special_token(cfg, BOS_CHAR), persistent=False)
        self.register_buffer("eos", _special_token(cfg, EOS_CHAR), persistent=False)

    def add_boundaries(self, chars: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, C) → (B, T + 2, C) with <S> first and </S> right after each sentence's last token; and its mask."""
        B, T, C = chars.shape
        keep = (chars > 0).any(-1)  # (B, T): a token has at least one character id
        lengths = keep.sum(1)
        out = torch.cat([self.bos.expand(B, 1, C), chars, chars.new_zeros(B, 1, C)], dim=1)
        pos = torch.arange(T + 2, device=chars.device)[None]  # (1, T + 2)
        out = torch.where((pos == lengths[:, None] + 1)[..., None], self.eos.expand(B, T + 2, C), out)
        return out, pos <= lengths[:, None] + 1

    def layers(self, chars: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The biLM's L + 1 layers at every position, boundaries included: (L + 1, B, T + 2, 2·dim) and the mask."""
        chars, keep = self.add_boundaries(chars)
        B, T, C = chars.shape
        tokens = self.char_cnn(chars.view(B * T, C)).view(B, T, -1) * keep[..., None]  # (B, T, 512)
        lengths = keep.sum(1)
        layers = [torch.cat([tokens, tokens], dim=-1)]  # h_{k,0}, duplicated to 2·dim as in AllenNLP
        fwd, bwd = tokens, reverse_padded(tokens, lengths)  # the backward LM reads each sentence reversed
        for n, (lf, lb) in enumerate(zip(self.forward_lstms, self.backward_lstms)):
            f, b = lf(fwd, keep), lb(bwd, keep)
            if n > 0:  # residual connection between the LSTM layers (Peters et al. 2018, §3.4)
                f, b = f + fwd, b + bwd
            fwd, bwd = f, b
            layers.append(torch.cat([fwd, reverse_padded(bwd, lengths)], dim=-1))  # (B, T, 2·dim)
        return torch.stack(layers), keep

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        """Character ids (B, T, max_chars), 0 = padding (an all-zero token is padding) → ELMo vectors
        (B, T, 2·dim), zeros on padding."""
        layers, keep = self.layers(chars)
        s = torch.softmax(self.mix_weights, dim=0)
        mixed = self.gamma * (s[:, None, None, None] * layers).sum(0)  # Eq. 1
        lengths = keep.sum(1) - 2
        mixed = mixed[:, 1:-1]  # drop <S> (first) …
        real = torch.arange(mixed.shape[1], device=chars.device)[None] < lengths[:, None]
        return mixed * real[..., None]  # … and </S> (right after the last word), which falls on padding here


@register_model(
    card=ModelCard(
        key="elmo",
        name="ELMo (Original)",
        family="ELMo",
        domain="nlp",
        task="contextual word embeddings",
        year=2018,
        paper=Paper("Deep contextualized word representations", "https://arxiv.org/abs/1802.05365",
                    authors="M. E. Peters, M. Neumann, M. Iyyer, M. Gardner, C. Clark, K. Lee, L. Zettlemoyer",
                    venue="NAACL 2018"),
        level="intermediate",
        summary=(
            "Gives every word a vector that depends on its sentence, so \"bank\" by a river and \"bank\" holding "
            "money differ. Words are spelled out character by character into a CNN, then read by a two-layer "
            "bidirectional LSTM language model pretrained to predict the next and the previous word. A word's ELMo "
            "vector is a learned weighted mix of all the model's layers at its position; adding it to existing "
            "models raised the state of the art on six NLP tasks in 2018."
        ),
        scenarios=("features for question answering, NER, sentiment or coreference models",
                   "word-sense-aware embeddings without fine-tuning a Transformer",
                   "understanding the step from word2vec to BERT"),
        strengths=("context-dependent vectors: one word, many senses",
                   "character input: no out-of-vocabulary words, robust to typos and morphology",
                   "the layer mix lets each task pick syntax (lower) or semantics (upper)"),
        weaknesses=("93.6M parameters and 4096-cell LSTMs: slow, steps run one after another",
                    "the two directions are trained separately: only shallowly bidirectional",
                    "superseded by BERT's deeply bidirectional Transformer months later"),
        params=Figure(93_600_000, "AllenNLP's ELMo model table: 'Original' (elmo_2x4096_512_2048cnn_2xhighway), "
                      "93.6M parameters", approx=True, tolerance=0.01),
        input="character ids (B, T, 50), byte + 1 with AllenNLP's specials, 0 = padding (use elmo.char_ids); "
        "the example is one 8-word sentence",
        output="ELMo vectors (B, T, 1024), the scalar mix of the biLM's 3 layers",
        metric=Metric("F1", 85.8, "F1", "SQuAD 1.1, test", "Peters et al. 2018, Table 1 (BiDAF baseline + ELMo)"),
        config_note=(
            "Original ELMo: 262 character ids → 16-d, char CNN with filters [[1,32],[2,32],[3,64],[4,128],[5,256],"
            "[6,512],[7,1024]], 2 highway layers, projection 2048→512; 2-layer biLSTM with 4096 cells and 512-d "
            "projections per direction, cell and projection clipping at 3, residual connection between the layers; "
            "scalar mix of 3 layers (4 parameters). 93,600,868 parameters in all. <S> and </S> are added around each "
            "sentence and removed from the output. The pretraining softmax is not included."
        ),
        tags=("elmo", "lstm", "bilstm", "lstmp", "language model", "contextual embeddings", "character cnn",
              "highway", "pretrained", "transfer learning"),
        i18n={"zh": {
            "name": "ELMo（原始版）",
            "task": "上下文词向量",
            "summary": "为每个词给出取决于其所在句子的向量，因此河边的“bank”与存钱的“bank”不同。单词按字符拼写输入 CNN，再由两层双向 LSTM "
            "语言模型读取，该模型预训练为预测下一个词和上一个词。一个词的 ELMo 向量是模型各层在该位置的加权混合，权重可学习；"
            "2018 年把它加进已有模型，刷新了六项 NLP 任务的最好成绩。",
            "scenarios": ["为问答、NER、情感或共指模型提供特征", "无需微调 Transformer 即可得到区分词义的词向量", "理解从 word2vec 到 BERT 的演进"],
            "strengths": ["随上下文变化的向量：一个词，多种含义", "字符输入：没有未登录词，对拼写错误和词形变化稳健", "层混合让每个任务自选句法（低层）或语义（高层）"],
            "weaknesses": ["9360 万参数、4096 单元的 LSTM：慢，各步只能依次计算", "两个方向分开训练，只是浅层的双向", "几个月后被 BERT 的深度双向 Transformer 取代"],
            "input": "字符 id (B, T, 50)，字节 + 1，含 AllenNLP 的特殊字符，0 为填充（用 elmo.char_ids 生成）；示例为一个 8 词的句子",
            "output": "ELMo 向量 (B, T, 1024)，双向语言模型 3 层的标量混合",
            "config_note": "原始版 ELMo：262 个字符 id → 16 维，字符 CNN 滤波器 [[1,32],[2,32],[3,64],[4,128],[5,256],[6,512],[7,1024]]，"
            "2 层 highway，投影 2048→512；每个方向 2 层、4096 单元、512 维投影的 LSTM，记忆单元与投影均裁剪到 ±3，层间残差连接；"
            "3 层的标量混合（4 个参数）。共 93,600,868 个参数。句子前后加 <S> 与 </S>，输出时去掉。不包含预训练用的 softmax。",
        }},
    ),
    example_input=lambda: char_ids("The bank by the river was closed today".split())[None],  # (1, 8, 50)
)
def elmo(**overrides) -> ELMo:
    return ELMo(replace(ELMoConfig(), **overrides))
