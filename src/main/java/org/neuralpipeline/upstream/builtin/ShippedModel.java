package org.neuralpipeline.upstream.builtin;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The model the build put on the classpath ({@value ModelFile#RESOURCE}), read once per JVM on first use.
 * There is no fallback when it is missing (see docs/BUILTIN-MODEL.md): the documentation it is trained on
 * is not in the jar, and training from whatever files happen to be around would hide a broken build.
 */
final class ShippedModel {
    private static volatile NGramModel model;

    private ShippedModel() {
    }

    static NGramModel get() {
        NGramModel m = model;
        if (m == null) {
            synchronized (ShippedModel.class) {
                m = model;
                if (m == null) {
                    m = load();
                    model = m;
                }
            }
        }
        return m;
    }

    private static NGramModel load() {
        try (InputStream in = ShippedModel.class.getClassLoader().getResourceAsStream(ModelFile.RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the built-in model file " + ModelFile.RESOURCE
                        + " is not on the classpath; the Maven build trains it at process-classes"
                        + " (run `mvn process-classes`, or build with Maven rather than only the IDE's compiler)");
            }
            return ModelFile.read(new BufferedInputStream(in));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in model " + ModelFile.RESOURCE + ": "
                    + e.getMessage() + " (rebuild with `mvn process-classes`)", e);
        }
    }
}
