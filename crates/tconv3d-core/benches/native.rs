//! The native build of the kernels as a benchmark server for `bench/native.mjs`, which times
//! onnxruntime-node in its own process and alternates the two shape by shape (one process
//! cannot hold both: this side is a Rust binary). One JSON command per stdin line, one JSON
//! reply per stdout line:
//!
//! - `{"op":"load","shape":{...},"x":PATH,"w":PATH}`: reads `X` (row-major NCDHW, f32) and
//!   the weights (ONNX `[Cin, Cout, kD, kH, kW]` row-major, f32) and plans the forward pass
//!   (weights packed once, outside any timing); replies `{"flops":F}`.
//! - `{"op":"time","threads":T,"runs":R}`: runs the forward pass `R` times on a pool of `T`
//!   threads; replies `{"ms":[...]}`, one wall time per run.
//! - `{"op":"output","y":PATH}`: runs the forward pass once and writes `Y` (row-major NCDHW,
//!   f32) for the caller's check.
//!
//! `shape` is bench/shapes.json's, with `k`, `stride`, `crop` and `in` as `[D, H, W]`.

use std::io::{BufRead, Write};
use std::time::Instant;

use ndarray::{Array5, ArrayView5};
use rayon::{ThreadPool, ThreadPoolBuilder};
use serde_json::{json, Value};
use tconv3d_core::nd::{Cropping, Options, TransposedConv3d};

fn dhw(v: &Value, what: &str) -> [usize; 3] {
    let got = v.as_array().and_then(|a| {
        let a: Vec<usize> = a
            .iter()
            .filter_map(|x| x.as_u64())
            .map(|x| x as usize)
            .collect();
        <[usize; 3]>::try_from(a).ok()
    });
    got.unwrap_or_else(|| panic!("shape.{what} must be [D, H, W], got {v}"))
}

fn count(v: &Value, what: &str) -> usize {
    v.as_u64()
        .unwrap_or_else(|| panic!("shape.{what} must be a count, got {v}")) as usize
}

fn read_f32(path: &str, len: usize) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    assert_eq!(bytes.len(), 4 * len, "{path} must hold {len} f32 values");
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect()
}

/// One shape: the operator, its input and an output to write into.
struct Loaded {
    conv: TransposedConv3d<f32>,
    x: Array5<f32>,
    y: Array5<f32>,
}

fn load(cmd: &Value) -> Loaded {
    let s = &cmd["shape"];
    let (n, cin, cout) = (
        count(&s["N"], "N"),
        count(&s["Cin"], "Cin"),
        count(&s["Cout"], "Cout"),
    );
    let [k, stride, crop, input] = ["k", "stride", "crop", "in"].map(|w| dhw(&s[w], w));
    let path = |key: &str| cmd[key].as_str().unwrap_or_else(|| panic!("{key}: a path"));
    let x = read_f32(path("x"), n * cin * input.iter().product::<usize>());
    let w = read_f32(path("w"), cin * cout * k.iter().product::<usize>());
    let x = Array5::from_shape_vec([n, cin, input[0], input[1], input[2]], x).expect("X's shape");
    let w = ArrayView5::from_shape([cin, cout, k[0], k[1], k[2]], &w).expect("W's shape");
    let crop = crop.map(|c| c as i64);
    let options = Options {
        stride,
        cropping: Cropping::Manual {
            begin: crop,
            end: crop,
        },
        ..Options::default()
    };
    let conv = TransposedConv3d::new(options, w, None).expect("a valid layer");
    let out = conv.output_shape(shape_of(&x)).expect("an output");
    Loaded {
        y: Array5::zeros(out),
        conv,
        x,
    }
}

fn shape_of(x: &Array5<f32>) -> [usize; 5] {
    x.shape().try_into().expect("5 lengths")
}

fn reply(v: Value) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{v}").expect("stdout");
    out.flush().expect("stdout");
}

fn main() {
    // Pools by thread count, made once: a call's time is the pass's alone.
    let mut pools: Vec<Option<ThreadPool>> = Vec::new();
    let mut lines = std::io::stdin().lock().lines();
    let mut next = lines.next();
    // One shape per `load`; its plan (weights packed) serves every command until the next.
    while let Some(line) = next.take() {
        let cmd: Value = serde_json::from_str(&line.expect("a line")).expect("a JSON command");
        assert_eq!(
            cmd["op"], "load",
            "the first command of a shape is load, got {cmd}"
        );
        let mut l = load(&cmd);
        let plan = l.conv.plan(shape_of(&l.x)).expect("a plan");
        reply(json!({ "flops": l.conv.flops(shape_of(&l.x)).expect("flops") }));
        for line in lines.by_ref() {
            let line = line.expect("a line");
            let cmd: Value = serde_json::from_str(&line).expect("a JSON command");
            match cmd["op"].as_str() {
                Some("load") => {
                    next = Some(Ok(line));
                    break;
                }
                Some("time") => {
                    let threads = count(&cmd["threads"], "threads");
                    let runs = count(&cmd["runs"], "runs");
                    if pools.len() <= threads {
                        pools.resize_with(threads + 1, || None);
                    }
                    let pool = pools[threads].get_or_insert_with(|| {
                        ThreadPoolBuilder::new()
                            .num_threads(threads)
                            .build()
                            .expect("a thread pool")
                    });
                    let ms: Vec<f64> = pool.install(|| {
                        (0..runs)
                            .map(|_| {
                                let t = Instant::now();
                                plan.forward_into(l.x.view(), l.y.view_mut())
                                    .expect("forward");
                                t.elapsed().as_secs_f64() * 1e3
                            })
                            .collect()
                    });
                    reply(json!({ "ms": ms }));
                }
                Some("output") => {
                    let path = cmd["y"].as_str().expect("y: a path");
                    plan.forward_into(l.x.view(), l.y.view_mut())
                        .expect("forward");
                    let bytes: Vec<u8> = l.y.iter().flat_map(|v| v.to_le_bytes()).collect();
                    std::fs::write(path, bytes)
                        .unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
                    reply(json!({ "ok": true }));
                }
                _ => panic!("unknown command {cmd}"),
            }
        }
    }
}
