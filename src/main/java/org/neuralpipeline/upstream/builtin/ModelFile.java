package org.neuralpipeline.upstream.builtin;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The shipped model's binary format. Only trigram counts are stored; {@link NGramModel} derives the rest.
 * Deterministic: the same model always writes the same bytes (no timestamps, sorted data).
 *
 * <pre>
 *   int     magic 0x4E504C4D ("NPLM")
 *   int     version (1)
 *   varint  number of source documents, then each name (varint length + UTF-8)
 *   varint  vocabulary size V (ids 0 and 1 are the start and end markers, not stored)
 *   V-2 ×   token: varint length + UTF-8
 *   varint  number of trigram contexts
 *   per context, increasing (u, v): varint u, varint v, varint successors,
 *           then per successor, increasing w: varint w, varint count
 * </pre>
 * Varints are unsigned LEB128 (7 bits per byte, low first).
 */
final class ModelFile {
    static final int MAGIC = 0x4E504C4D;
    static final int VERSION = 1;
    /** Where the build puts the model, on the classpath. */
    static final String RESOURCE = "builtin/model.bin";

    private ModelFile() {
    }

    static byte[] write(NGramModel model) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            writeVarint(out, model.sources().size());
            for (String source : model.sources()) {
                writeString(out, source);
            }
            String[] vocabulary = model.vocabulary();
            writeVarint(out, vocabulary.length);
            for (int id = NGramModel.EOS + 1; id < vocabulary.length; id++) {
                writeString(out, vocabulary[id]);
            }
            long[] keys = model.trigramKeys();
            int[] counts = model.trigramCounts();
            List<int[]> contexts = new ArrayList<>();
            for (int i = 0; i < keys.length; i++) {
                int[] uvw = NGramModel.unpack(keys[i]);
                int[] last = contexts.isEmpty() ? null : contexts.get(contexts.size() - 1);
                if (last == null || last[0] != uvw[0] || last[1] != uvw[1]) {
                    contexts.add(new int[] {uvw[0], uvw[1], i, 0});
                    last = contexts.get(contexts.size() - 1);
                }
                last[3]++;
            }
            writeVarint(out, contexts.size());
            for (int[] context : contexts) {
                writeVarint(out, context[0]);
                writeVarint(out, context[1]);
                writeVarint(out, context[3]);
                for (int i = context[2]; i < context[2] + context[3]; i++) {
                    writeVarint(out, NGramModel.unpack(keys[i])[2]);
                    writeVarint(out, counts[i]);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /** @throws IOException when the stream is not a model file of this version, or is truncated or corrupt */
    static NGramModel read(InputStream stream) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        try {
            int magic = in.readInt();
            if (magic != MAGIC) {
                throw new IOException(String.format("not a built-in model file: magic 0x%08X (expected: 0x%08X)",
                        magic, MAGIC));
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException("built-in model file version " + version + " (expected: " + VERSION
                        + "); rebuild with `mvn process-classes`");
            }
            int sourceCount = readVarint(in);
            List<String> sources = new ArrayList<>();
            for (int i = 0; i < sourceCount; i++) {
                sources.add(readString(in));
            }
            int size = readVarint(in);
            if (size < 3 || size > NGramModel.MAX_VOCABULARY) {
                throw new IOException("built-in model file: vocabulary size " + size);
            }
            String[] vocabulary = new String[size];
            vocabulary[NGramModel.BOS] = NGramModel.BOS_TEXT;
            vocabulary[NGramModel.EOS] = NGramModel.EOS_TEXT;
            for (int id = NGramModel.EOS + 1; id < size; id++) {
                vocabulary[id] = readString(in);
            }
            int contexts = readVarint(in);
            LongList keys = new LongList();
            LongList counts = new LongList();
            for (int c = 0; c < contexts; c++) {
                int u = readId(in, size);
                int v = readId(in, size);
                int successors = readVarint(in);
                for (int s = 0; s < successors; s++) {
                    keys.add(NGramModel.trigramKey(u, v, readId(in, size)));
                    counts.add(readVarint(in));
                }
            }
            if (in.read() != -1) {
                throw new IOException("built-in model file: trailing bytes after the trigrams");
            }
            return new NGramModel(vocabulary, keys.toArray(),
                    Arrays.stream(counts.toArray()).mapToInt(Math::toIntExact).toArray(),
                    sources);
        } catch (EOFException e) {
            throw new IOException("built-in model file is truncated", e);
        } catch (IllegalArgumentException e) {
            throw new IOException("built-in model file is corrupt: " + e.getMessage(), e);
        }
    }

    private static int readId(DataInputStream in, int vocabularySize) throws IOException {
        int id = readVarint(in);
        if (id >= vocabularySize) {
            throw new IOException("built-in model file: token id " + id + " outside the vocabulary ("
                    + vocabularySize + ")");
        }
        return id;
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        writeVarint(out, utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = readVarint(in);
        if (length > 1 << 20) {
            throw new IOException("built-in model file: string of " + length + " bytes");
        }
        byte[] utf8 = new byte[length];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    static void writeVarint(OutputStream out, int value) throws IOException {
        int v = value;
        while ((v & ~0x7F) != 0) {
            out.write((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write(v);
    }

    static int readVarint(DataInputStream in) throws IOException {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = in.readUnsignedByte();
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (value < 0) {
                    break;
                }
                return value;
            }
        }
        throw new IOException("built-in model file: malformed varint");
    }

    /** A growable long array, so reading does not box every key and count. */
    private static final class LongList {
        private long[] values = new long[1024];
        private int size;

        void add(long value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
