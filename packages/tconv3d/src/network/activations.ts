/**
 * MATLAB's element-wise activation layers, `reluLayer`, `leakyReluLayer`, `tanhLayer` and
 * `sigmoidLayer`, for a {@link Dlnetwork}: `predict(X)` and `backward(X, Y, dLdY)`, computed in
 * JavaScript in the precision of `X` (each element is one comparison or one `exp`: cheap beside
 * the convolutions they sit between).
 *
 * @module
 */

import { DlArray, describeValue, type FloatArray, type SameDtype } from "../dlarray/index.js";
import { ArgumentError, SizeError } from "../errors.js";

/** Options of the activation layers (MATLAB's `Name`). */
export interface ActivationLayerOptions {
  /** Layer name. Default `""` (a {@link Dlnetwork} names unnamed layers). */
  name?: string;
}

/** What each activation computes: the function, and its derivative from `x` and `y = f(x)`. */
interface Activation {
  readonly f: (x: number) => number;
  readonly df: (x: number, y: number) => number;
}

/**
 * An element-wise activation layer. The output has the size, format and precision of the
 * input; nothing is learnable.
 */
export abstract class ActivationLayer {
  #name: string;
  /** MATLAB's class display name, e.g. `"ReLULayer"`. */
  abstract readonly type: string;
  protected abstract readonly activation: Activation;

  /** @internal Use the factory functions ({@link reluLayer}, ...). */
  constructor(name: string) {
    this.#name = name;
  }

  /** Layer name. Settable (a string). */
  get name(): string {
    return this.#name;
  }
  /** Sets the name (a string). */
  set name(value: string) {
    this.#name = checkName(value, this.type);
  }

  /**
   * The forward pass: `f` applied to each element of `X`.
   *
   * @returns a new array of the size, format and precision of `X`.
   * @throws ArgumentError when `X` is not a {@link DlArray}.
   */
  predict<T extends FloatArray>(X: DlArray<T>): DlArray<SameDtype<T>> {
    const x = checkArray(X, "X", this.type).data;
    const { f } = this.activation;
    const y = like(x);
    for (let i = 0; i < x.length; i++) y[i] = f(x[i] as number);
    return new DlArray(y, X.size, X.format) as DlArray<SameDtype<T>>;
  }

  /**
   * The gradient of a loss with respect to the input, `dLdX = f'(X) .* dLdY`.
   *
   * @param X - the input of the forward pass.
   * @param Y - its output (`predict(X)`).
   * @param dLdY - the gradient with respect to `Y` (either precision).
   * @returns `dLdX`, in the size, format and precision of `X`.
   * @throws ArgumentError for an argument that is not a {@link DlArray}; SizeError when `Y` or
   *   `dLdY` has another size than `X`.
   */
  backward<T extends FloatArray>(X: DlArray<T>, Y: DlArray, dLdY: DlArray): DlArray<SameDtype<T>> {
    const x = checkArray(X, "X", this.type).data;
    const y = checkLike(Y, "Y", X, this.type).data;
    const g = checkLike(dLdY, "dLdY", X, this.type).data;
    const { df } = this.activation;
    const dx = like(x);
    for (let i = 0; i < x.length; i++) {
      dx[i] = df(x[i] as number, y[i] as number) * (g[i] as number);
    }
    return new DlArray(dx, X.size, X.format) as DlArray<SameDtype<T>>;
  }

  /** Node's `util.inspect` (and `console.log`) shows {@link ActivationLayer.toString}. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** MATLAB's property display, e.g. `ReLULayer with properties: Name: 'relu1'`. */
  toString(): string {
    return [
      `  ${this.type} with properties:`,
      "",
      `${"Name".padStart(8)}: '${this.name}'`,
      ...this.properties().map(([k, v]) => `${k.padStart(8)}: ${v}`),
    ].join("\n");
  }

  /** Rows of the display beyond the name. */
  protected properties(): [string, string][] {
    return [];
  }
}

/** MATLAB's `ReLULayer`: `max(x, 0)`; the derivative at 0 is taken as 0. */
export class ReLULayer extends ActivationLayer {
  /** `"ReLULayer"`. */
  readonly type = "ReLULayer";
  protected readonly activation: Activation = {
    f: (x) => Math.max(x, 0),
    df: (x) => (x > 0 ? 1 : 0),
  };
}

/** MATLAB's `LeakyReLULayer`: `x` for `x > 0`, else `scale * x`. */
export class LeakyReLULayer extends ActivationLayer {
  /** `"LeakyReLULayer"`. */
  readonly type = "LeakyReLULayer";
  /** The slope for negative inputs (MATLAB's `Scale`). */
  readonly scale: number;
  protected readonly activation: Activation;

  /** @internal Use {@link leakyReluLayer}. */
  constructor(scale: number, name: string) {
    super(name);
    this.scale = scale;
    this.activation = {
      f: (x) => (x > 0 ? x : scale * x),
      df: (x) => (x > 0 ? 1 : scale),
    };
  }

  protected override properties(): [string, string][] {
    return [["Scale", String(this.scale)]];
  }
}

/** MATLAB's `TanhLayer`: `tanh(x)`. */
export class TanhLayer extends ActivationLayer {
  /** `"TanhLayer"`. */
  readonly type = "TanhLayer";
  protected readonly activation: Activation = {
    f: Math.tanh,
    df: (_x, y) => 1 - y * y,
  };
}

/** MATLAB's `SigmoidLayer`: `1 / (1 + exp(-x))`. */
export class SigmoidLayer extends ActivationLayer {
  /** `"SigmoidLayer"`. */
  readonly type = "SigmoidLayer";
  protected readonly activation: Activation = {
    f: (x) => 1 / (1 + Math.exp(-x)),
    df: (_x, y) => y * (1 - y),
  };
}

/** Name-Value pairs of the activation layers: `"Name"` (any letter case at run time). */
export type ActivationNameValue = [] | ["Name" | "name", string];

/**
 * MATLAB's `reluLayer`: a rectified linear unit, `max(x, 0)`.
 *
 * ```ts
 * reluLayer(); reluLayer({ name: "relu1" }); reluLayer("Name", "relu1");
 * ```
 *
 * @param args - `{ name }`, or the pair `"Name", name`; nothing for an unnamed layer.
 * @throws ArgumentError for an unknown option or a name that is not a string.
 */
export function reluLayer(
  ...args: [options?: ActivationLayerOptions] | ActivationNameValue
): ReLULayer {
  return new ReLULayer(parseName(args, "reluLayer"));
}

/**
 * MATLAB's `leakyReluLayer(scale)`: `x` for positive inputs, `scale * x` for the others.
 *
 * ```ts
 * leakyReluLayer(); leakyReluLayer(0.2); leakyReluLayer(0.2, "Name", "lrelu1");
 * ```
 *
 * @param scale - the slope for negative inputs, a finite number. Default 0.01, as MATLAB's.
 * @param args - `{ name }`, or the pair `"Name", name`.
 * @throws ArgumentError for a scale that is not a finite number, an unknown option, or a name
 *   that is not a string.
 */
export function leakyReluLayer(
  scale?: number,
  ...args: [options?: ActivationLayerOptions] | ActivationNameValue
): LeakyReLULayer;
/**
 * MATLAB's `leakyReluLayer("Name", name)`, with the default scale 0.01.
 *
 * @param args - the pair `"Name", name`.
 * @throws ArgumentError for a name that is not a string.
 */
export function leakyReluLayer(...args: ActivationNameValue): LeakyReLULayer;
export function leakyReluLayer(...args: unknown[]): LeakyReLULayer {
  const where = "leakyReluLayer";
  let scale = 0.01;
  let rest = args;
  if (typeof args[0] !== "string") {
    const s = args[0] ?? 0.01;
    if (typeof s !== "number" || !Number.isFinite(s)) {
      throw new ArgumentError(`${where}: scale must be a finite number, got ${describeValue(s)}`);
    }
    scale = s;
    rest = args.slice(1);
  }
  return new LeakyReLULayer(scale, parseName(rest, where));
}

/**
 * MATLAB's `tanhLayer`: the hyperbolic tangent.
 *
 * @param args - `{ name }`, or the pair `"Name", name`; nothing for an unnamed layer.
 * @throws ArgumentError for an unknown option or a name that is not a string.
 */
export function tanhLayer(
  ...args: [options?: ActivationLayerOptions] | ActivationNameValue
): TanhLayer {
  return new TanhLayer(parseName(args, "tanhLayer"));
}

/**
 * MATLAB's `sigmoidLayer`: the logistic function `1 / (1 + exp(-x))`.
 *
 * @param args - `{ name }`, or the pair `"Name", name`; nothing for an unnamed layer.
 * @throws ArgumentError for an unknown option or a name that is not a string.
 */
export function sigmoidLayer(
  ...args: [options?: ActivationLayerOptions] | ActivationNameValue
): SigmoidLayer {
  return new SigmoidLayer(parseName(args, "sigmoidLayer"));
}

/** The name from `[]`, `[{ name }]` or `["Name", name]`. */
function parseName(args: readonly unknown[], where: string): string {
  const [a, b] = args;
  if (args.length === 0 || (args.length === 1 && a === undefined)) return "";
  if (args.length === 1 && a !== null && typeof a === "object" && !Array.isArray(a)) {
    for (const k of Object.keys(a)) {
      if (k !== "name") {
        throw new ArgumentError(`${where}: unknown option ${describeValue(k)}; expected name`);
      }
    }
    return checkName((a as ActivationLayerOptions).name ?? "", where);
  }
  if (args.length === 2 && typeof a === "string" && a.toLowerCase() === "name") {
    return checkName(b, where);
  }
  throw new ArgumentError(
    `${where}: expected { name } or the Name-Value pair "Name", name; got ${describeValue(args)}`,
  );
}

function checkName(value: unknown, where: string): string {
  if (typeof value !== "string") {
    throw new ArgumentError(`${where}: Name must be a string, got ${describeValue(value)}`);
  }
  return value;
}

function checkArray(X: unknown, arg: string, where: string): DlArray {
  if (!(X instanceof DlArray)) {
    throw new ArgumentError(`${where}: ${arg} must be a DlArray, got ${describeValue(X)}`);
  }
  return X;
}

function checkLike(A: unknown, arg: string, X: DlArray, where: string): DlArray {
  const a = checkArray(A, arg, where);
  if (a.size.length !== X.size.length || a.size.some((s, i) => s !== X.size[i])) {
    throw new SizeError(`${where}: ${arg} has size [${a.size}]; expected [${X.size}] (X's size)`);
  }
  return a;
}

function like(x: FloatArray): FloatArray {
  return x instanceof Float64Array ? new Float64Array(x.length) : new Float32Array(x.length);
}
