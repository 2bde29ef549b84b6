#!/usr/bin/env python3
"""Writes the fuzz seeds under tests/fuzz/corpus/ (also inputs of the process-level inspect tests).
Run from the repository root: python3 tests/fuzz/make_corpus.py"""
import json, struct, os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
F32, Q4_0, Q8_0 = 0, 2, 8


def gguf(kvs, tensors, alignment=32):
    """kvs: [(key, type, value)], type 'u32' | 'str' | 'u16' | 'i32' | 'strs'; tensors: [(name, ne, type, bytes)]."""
    out = bytearray(b"GGUF") + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    s = lambda x: struct.pack("<Q", len(x.encode())) + x.encode()
    for key, typ, val in kvs:
        out += s(key)
        if typ == "u32": out += struct.pack("<II", 4, val)
        elif typ == "u16": out += struct.pack("<IH", 2, val)
        elif typ == "i32": out += struct.pack("<Ii", 5, val)
        elif typ == "str": out += struct.pack("<I", 8) + s(val)
        elif typ == "strs": out += struct.pack("<IIQ", 9, 8, len(val)) + b"".join(s(v) for v in val)
    offset = 0
    for name, ne, typ, nbytes in tensors:
        out += s(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        out += struct.pack("<IQ", typ, offset)
        offset += (nbytes + alignment - 1) // alignment * alignment
    out += bytes(-len(out) % alignment)
    return bytes(out + bytes(offset))


def dense():
    # llama, 1 layer, hidden 32, 2 heads, 1 KV head of 16, FFN 64, vocab 32: 10,304 tensor bytes.
    kv = [("general.architecture", "str", "llama"), ("general.name", "str", "Toy Dense"),
          ("llama.block_count", "u32", 1), ("llama.context_length", "u32", 2048),
          ("llama.embedding_length", "u32", 32), ("llama.feed_forward_length", "u32", 64),
          ("llama.attention.head_count", "u32", 2), ("llama.attention.head_count_kv", "u32", 1),
          ("tokenizer.ggml.tokens", "strs", ["a", "b", "c"])]
    t = [("token_embd.weight", [32, 32], Q8_0, 1088), ("output_norm.weight", [32], F32, 128),
         ("output.weight", [32, 32], Q8_0, 1088), ("blk.0.attn_norm.weight", [32], F32, 128),
         ("blk.0.attn_q.weight", [32, 32], Q8_0, 1088), ("blk.0.attn_k.weight", [32, 16], Q8_0, 544),
         ("blk.0.attn_v.weight", [32, 16], Q8_0, 544), ("blk.0.attn_output.weight", [32, 32], Q8_0, 1088),
         ("blk.0.ffn_norm.weight", [32], F32, 128), ("blk.0.ffn_gate.weight", [32, 64], Q4_0, 1152),
         ("blk.0.ffn_up.weight", [32, 64], Q4_0, 1152), ("blk.0.ffn_down.weight", [64, 32], Q8_0, 2176)]
    return kv, t


def deepseek(split):
    # deepseek2, 2 layers (first dense), hidden 32, 2 heads, q_lora 16, kv_lora 16, nope 8, rope 8,
    # v 8, 2 routed experts of 16 (1 per token) + 1 shared, FFN 32, vocab 32; all F32.
    p = "deepseek2."
    kv = [("general.architecture", "str", "deepseek2"), ("general.name", "str", "Toy MLA"),
          (p + "block_count", "u32", 2), (p + "context_length", "u32", 4096), (p + "embedding_length", "u32", 32),
          (p + "feed_forward_length", "u32", 32), (p + "attention.head_count", "u32", 2),
          (p + "attention.head_count_kv", "u32", 1 if split else 2), (p + "attention.q_lora_rank", "u32", 16),
          (p + "attention.kv_lora_rank", "u32", 16), (p + "rope.dimension_count", "u32", 8),
          (p + "leading_dense_block_count", "u32", 1), (p + "expert_count", "u32", 2),
          (p + "expert_shared_count", "u32", 1), (p + "expert_used_count", "u32", 1),
          (p + "expert_feed_forward_length", "u32", 16)]
    kv += ([(p + "attention.key_length", "u32", 24), (p + "attention.value_length", "u32", 16),
            (p + "attention.key_length_mla", "u32", 16), (p + "attention.value_length_mla", "u32", 8)] if split else
           [(p + "attention.key_length", "u32", 16), (p + "attention.value_length", "u32", 8)])
    t = []
    def f(name, ne):
        n = 1
        for x in ne: n *= x
        t.append((name, ne, F32, 4 * n))
    f("token_embd.weight", [32, 32]); f("output_norm.weight", [32]); f("output.weight", [32, 32])
    for b in range(2):
        q = "blk.%d." % b
        f(q + "attn_norm.weight", [32]); f(q + "attn_q_a.weight", [32, 16]); f(q + "attn_q_a_norm.weight", [16])
        f(q + "attn_q_b.weight", [16, 32]); f(q + "attn_kv_a_mqa.weight", [32, 24]); f(q + "attn_kv_a_norm.weight", [16])
        if split:
            f(q + "attn_k_b.weight", [8, 16, 2]); f(q + "attn_v_b.weight", [16, 8, 2])
        else:
            f(q + "attn_kv_b.weight", [16, 32])
        f(q + "attn_output.weight", [16, 32]); f(q + "ffn_norm.weight", [32])
        if b == 0:
            f(q + "ffn_gate.weight", [32, 32]); f(q + "ffn_up.weight", [32, 32]); f(q + "ffn_down.weight", [32, 32])
        else:
            f(q + "ffn_gate_inp.weight", [32, 2]); f(q + "exp_probs_b.bias", [2])
            f(q + "ffn_gate_exps.weight", [32, 16, 2]); f(q + "ffn_up_exps.weight", [32, 16, 2])
            f(q + "ffn_down_exps.weight", [16, 32, 2]); f(q + "ffn_gate_shexp.weight", [32, 16])
            f(q + "ffn_up_shexp.weight", [32, 16]); f(q + "ffn_down_shexp.weight", [16, 32])
    return kv, t


def safetensors(tensors, metadata=None):
    header, offset = {}, 0
    for name, dtype, shape, nbytes in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    if metadata: header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + bytes(offset)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f: f.write(data if isinstance(data, bytes) else data.encode())


def main():
    dense_file = gguf(*dense())
    write(f"{ROOT}/gguf/dense.gguf", dense_file)
    write(f"{ROOT}/gguf/mla_legacy.gguf", gguf(*deepseek(False)))
    write(f"{ROOT}/gguf/mla_split.gguf", gguf(*deepseek(True)))
    write(f"{ROOT}/gguf/truncated.gguf", dense_file[:300])
    # ik_llama.cpp's own types (ggml.h ids @8337e4cd): IQ4_KS 144 and IQ1_S_R4 219 store bytes per
    # row besides their blocks; IQ2_K_R4 337 does not.
    write(f"{ROOT}/gguf/ik_types.gguf", gguf([("general.architecture", "str", "llama")],
                                            [("a.weight", [512, 3], 144, 828), ("b.weight", [256, 4], 337, 304),
                                             ("c.weight", [256, 4], 219, 200)]))
    bad = bytearray(dense_file); bad[4] = 7
    write(f"{ROOT}/gguf/bad_version.gguf", bytes(bad))
    write(f"{ROOT}/safetensors/bf16.safetensors", safetensors(
        [("model.embed_tokens.weight", "BF16", [8, 4], 64), ("model.norm.weight", "BF16", [4], 8),
         ("lm_head.weight", "BF16", [8, 4], 64)], {"format": "pt"}))
    write(f"{ROOT}/safetensors/fp8_scales.safetensors", safetensors(
        [("model.layers.0.mlp.down_proj.weight", "F8_E4M3", [4, 8], 32),
         ("model.layers.0.mlp.down_proj.weight_scale_inv", "F32", [1, 1], 4)]))
    write(f"{ROOT}/safetensors/truncated.safetensors", safetensors(
        [("a", "F32", [4], 16)])[:-3])
    write(f"{ROOT}/hf_config/mistral.json", json.dumps({
        "model_type": "mistral", "hidden_size": 4096, "intermediate_size": 14336, "max_position_embeddings": 32768,
        "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "tie_word_embeddings": False,
        "vocab_size": 32000}, indent=1))
    write(f"{ROOT}/hf_config/deepseek_v3.json", json.dumps({
        "model_type": "deepseek_v3", "hidden_size": 7168, "num_hidden_layers": 61, "num_attention_heads": 128,
        "num_key_value_heads": 128, "intermediate_size": 18432, "vocab_size": 129280, "tie_word_embeddings": False,
        "max_position_embeddings": 163840, "rope_scaling": {"type": "yarn", "factor": 40}, "q_lora_rank": 1536,
        "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
        "moe_intermediate_size": 2048, "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8,
        "first_k_dense_replace": 3, "moe_layer_freq": 1, "topk_method": "noaux_tc", "num_nextn_predict_layers": 1},
        indent=1))
    write(f"{ROOT}/hf_config/unknown_type.json", '{"model_type": "mamba", "hidden_size": 8}')


if __name__ == "__main__":
    main()
