package org.neuralpipeline.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.io.Console;
import java.lang.reflect.Method;
import java.util.Locale;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

/**
 * Chooses the log format at start-up: a coloured human console on a terminal, JSON lines otherwise (or
 * whichever {@code --log-format} / {@code -Dnp.log.format} / {@code NEURAL_PIPELINE_LOG_FORMAT} asks for).
 * Logs go to stderr so that a command's own output on stdout (NDJSON, an answer) stays clean.
 *
 * <p>JSON lines carry {@code timestamp}, {@code level}, {@code logger}, {@code message}, {@code thread},
 * every MDC entry (notably {@code request_id}, see {@link CorrelationId}) and a stack trace
 * when there is one.
 */
public final class LogSetup {
    public enum Format {
        AUTO, JSON, TEXT;

        /** {@code -Dnp.log.format}, else {@code NEURAL_PIPELINE_LOG_FORMAT}, else AUTO. */
        public static Format fromSystemProperty() {
            String value = System.getProperty("np.log.format", System.getenv("NEURAL_PIPELINE_LOG_FORMAT"));
            if (value == null || value.isBlank()) {
                return AUTO;
            }
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return AUTO;
            }
        }
    }

    private static final String APPENDER = "console";
    private static volatile Format applied;

    private LogSetup() {
    }

    /** Replaces the root logger's appender with one of the requested format. Idempotent. */
    public static synchronized void apply(Format requested) {
        Format format = requested == Format.AUTO ? (attachedToTerminal() ? Format.TEXT : Format.JSON) : requested;
        if (format == applied) {
            return;
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();

        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(APPENDER);
        appender.setTarget("System.err");
        appender.setEncoder(format == Format.JSON ? jsonEncoder(context) : textEncoder(context, attachedToTerminal()));
        appender.start();
        root.addAppender(appender);
        if (root.getLevel() == null) {
            root.setLevel(Level.INFO);
        }
        applied = format;
    }

    /** The format in force, after AUTO was resolved. */
    public static Format current() {
        return applied;
    }

    private static Encoder<ILoggingEvent> jsonEncoder(LoggerContext context) {
        LogstashEncoder encoder = new LogstashEncoder();
        encoder.setContext(context);
        encoder.setIncludeContext(false);
        // plain names: what people type in a log query, and what docs/OPERATIONS.md lists
        encoder.getFieldNames().setTimestamp("timestamp");
        encoder.getFieldNames().setLogger("logger");
        encoder.getFieldNames().setThread("thread");
        encoder.getFieldNames().setVersion("[ignore]");
        encoder.getFieldNames().setLevelValue("[ignore]");
        encoder.start();
        return encoder;
    }

    private static Encoder<ILoggingEvent> textEncoder(LoggerContext context, boolean colour) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(colour
                ? "%gray(%d{HH:mm:ss.SSS}) %highlight(%-5level) %cyan(%logger{20}) %gray(%X{request_id:-}) %msg%n%ex"
                : "%d{HH:mm:ss.SSS} %-5level %logger{20} [%X{request_id:-}] %msg%n%ex");
        encoder.start();
        return encoder;
    }

    /**
     * True when stderr and stdout look like a terminal. JDK 22+ has {@code Console.isTerminal()}; on 21 a
     * non-null {@code System.console()} means both streams are attached to one.
     */
    static boolean attachedToTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
