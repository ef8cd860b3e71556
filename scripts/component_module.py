"""Take the largest core module out of a WebAssembly component, or put one back in its place.

A component (binary format of the component model: magic, version 0x0d, layer 1) is a sequence of
sections (id byte, LEB128 size, contents); a core module section (id 1) holds a whole core module.
Used by scripts/wasm-opt-component.
    python3 component_module.py extract COMPONENT OUT_MODULE
    python3 component_module.py replace COMPONENT NEW_MODULE OUT_COMPONENT   (adds the marker)
    python3 component_module.py marked COMPONENT                             (exit 0 if marked)
"""
import sys

MAGIC = b"\0asm\x0d\x00\x01\x00"
MARKER = b"fskhttp:wasm-opt"


def uleb(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def to_uleb(value):
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def sections(data):
    """(id, start of section, start of contents, end) of every top-level section."""
    if data[:8] != MAGIC:
        sys.exit("not a WebAssembly component")
    i, out = 8, []
    while i < len(data):
        size, body = uleb(data, i + 1)
        out.append((data[i], i, body, body + size))
        i = body + size
    if i != len(data):
        sys.exit("truncated component")
    return out


def largest_module(data):
    modules = [s for s in sections(data) if s[0] == 1]
    if not modules:
        sys.exit("no core module in the component")
    return max(modules, key=lambda s: s[3] - s[2])


def custom_name(data, body):
    length, start = uleb(data, body)
    return data[start:start + length]


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    data = open(path, "rb").read()
    if cmd == "marked":
        found = any(s[0] == 0 and custom_name(data, s[2]) == MARKER for s in sections(data))
        sys.exit(0 if found else 1)
    _, start, body, end = largest_module(data)
    if cmd == "extract":
        open(sys.argv[3], "wb").write(data[body:end])
    elif cmd == "replace":
        module = open(sys.argv[3], "rb").read()
        if module[:8] != b"\0asm\x01\x00\x00\x00":
            sys.exit("not a core module: " + sys.argv[3])
        note = to_uleb(len(MARKER)) + MARKER + b"binaryen wasm-opt -Os"
        out = (data[:start] + b"\x01" + to_uleb(len(module)) + module + data[end:]
               + b"\x00" + to_uleb(len(note)) + note)
        open(sys.argv[4], "wb").write(out)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
