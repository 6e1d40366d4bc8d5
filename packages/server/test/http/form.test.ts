import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FormEncodingError, readFormField } from "../../src/http/form.js";

/** Random text over ASCII (with the form's special characters), Latin-1, other BMP text and astral characters. */
function randomText(random: () => number): string {
  const pools = [' +&=%/?#"{}:,\\abcXYZ019', "äöüßéñ", "€漢字ж", "😀🎉"];
  let text = "";
  const length = Math.floor(random() * 40);
  for (let i = 0; i < length; i++) {
    const pool = pools[Math.floor(random() * pools.length)] as string;
    const chars = [...pool];
    text += chars[Math.floor(random() * chars.length)];
  }
  return text;
}

/** A small deterministic generator, so that a failure can be reproduced. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("readFormField", () => {
  it("reads back what URLSearchParams encoded, for ASCII, non-ASCII and the form's own special characters", () => {
    const random = seeded(7);
    for (let i = 0; i < 2000; i++) {
      const data = randomText(random);
      const other = randomText(random);
      const body = Buffer.from(
        new URLSearchParams([
          ["x", other],
          ["data", data],
          ["data", "second"],
        ]).toString(),
      );
      assert.equal(readFormField(body, "data"), data, body.toString());
      assert.equal(readFormField(body, "x"), other);
    }
  });

  it("reads raw (unescaped) UTF-8 and escapes in either case of hex digit", () => {
    assert.equal(readFormField(Buffer.from("data=gr%C3%BC%c3%9f+%e2%82%AC"), "data"), "grüß €");
    assert.equal(readFormField(Buffer.from("data=grüß"), "data"), "grüß");
    assert.equal(readFormField(Buffer.from("a=1&&data=&b"), "data"), "");
    assert.equal(readFormField(Buffer.from("a=1"), "data"), undefined);
  });

  it("refuses escapes cut short or not hex, and bytes that are not UTF-8, anywhere in the body", () => {
    for (const body of ["data=%", "data=%4", "data=ab%4", "data=%4g", "data=%g4", "data=%C3%28", "data=x&y=%E2%82", "%zz=1&data=x"]) {
      assert.throws(() => readFormField(Buffer.from(body), "data"), FormEncodingError, body);
    }
    assert.throws(() => readFormField(Buffer.from([0x64, 0x61, 0x74, 0x61, 0x3d, 0xff]), "data"), FormEncodingError);
  });
});
