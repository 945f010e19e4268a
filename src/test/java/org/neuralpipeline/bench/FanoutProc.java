package org.neuralpipeline.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Linux {@code /proc} readings for the fan-out benchmark: a process's CPU time, resident memory and open
 * descriptors, and the whole machine's idle share. Viewers, publisher and server share one machine, so each
 * result says how busy the machine was and how much CPU the load tool itself used.
 */
final class FanoutProc {
    /** Clock ticks per second of {@code /proc/<pid>/stat} (CLK_TCK, 100 on Linux). */
    static final long CLK_TCK = 100;

    private FanoutProc() {
    }

    /** utime + stime of the whole process, all threads, in milliseconds (10 ms resolution). */
    static long cpuMillis(long pid) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        if (stat == null) {
            return -1;
        }
        // the command name may hold spaces and parentheses: the fields start after the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1000 / CLK_TCK; // proc(5) fields 14, 15
    }

    /** {user, system} CPU milliseconds of the process: how much of it the kernel spent (sockets). */
    static long[] userSystemMillis(long pid) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        if (stat == null) {
            return new long[] {-1, -1};
        }
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return new long[] {Long.parseLong(f[11]) * 1000 / CLK_TCK, Long.parseLong(f[12]) * 1000 / CLK_TCK};
    }

    /** CPU milliseconds per thread name ({@code comm}, at most 15 characters), living threads only. */
    static Map<String, Long> cpuMillisByThread(long pid) {
        Map<String, Long> byName = new TreeMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                String stat = read(task.resolve("stat"));
                if (stat != null) {
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
                    long ms = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1000 / CLK_TCK;
                    // comm keeps 15 characters: every event loop is "vert.x-eventloo", so those are told apart
                    // by thread id (one event loop busy and one idle is worth seeing); other pools are summed
                    String key = name.startsWith("vert.x-eventloo") ? "eventloop-" + task.getFileName()
                            : name.replaceAll("[-#]?\\d+$", "");
                    byName.merge(key, ms, Long::sum);
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return byName;
    }

    /** A {@code /proc/<pid>/status} field in kB ({@code VmRSS}, {@code VmHWM}), or -1. */
    static long statusKb(long pid, String field) {
        String status = read(Path.of("/proc", Long.toString(pid), "status"));
        if (status != null) {
            for (String line : status.split("\n")) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
                }
            }
        }
        return -1;
    }

    /** Resets the peak RSS ({@code VmHWM}) to the current RSS (proc(5), clear_refs 5); false if not allowed. */
    static boolean resetPeakRss(long pid) {
        try {
            Files.writeString(Path.of("/proc", Long.toString(pid), "clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Write system calls of the process so far ({@code syscw} of {@code /proc/<pid>/io}: write, writev, including
     * event-loop wake-ups, which write to an eventfd), or -1. Per delivered message, it shows whether writes are
     * batched.
     */
    static long writeCalls(long pid) {
        String io = read(Path.of("/proc", Long.toString(pid), "io"));
        if (io != null) {
            for (String line : io.split("\n")) {
                if (line.startsWith("syscw:")) {
                    return Long.parseLong(line.substring(6).trim());
                }
            }
        }
        return -1;
    }

    /** Open file descriptors of the process (sockets included), or -1. */
    static long openFiles(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Jiffies of the whole machine, first line of /proc/stat: {total, idle + iowait}. */
    static long[] machine() {
        String stat = read(Path.of("/proc/stat"));
        if (stat == null) {
            return new long[] {0, 0};
        }
        String[] f = stat.substring(0, stat.indexOf('\n')).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length && i <= 8; i++) { // user … steal; guest is counted in user already
            total += Long.parseLong(f[i]);
        }
        return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
    }

    /** The machine's idle share (0 to 1) between two {@link #machine()} readings. */
    static double idleShare(long[] before, long[] after) {
        long total = after[0] - before[0];
        return total <= 0 ? Double.NaN : (double) (after[1] - before[1]) / total;
    }

    static String loadAverage() {
        String s = read(Path.of("/proc/loadavg"));
        if (s == null) {
            return "?";
        }
        String[] f = s.trim().split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }

    static String cpuModel() {
        String info = read(Path.of("/proc/cpuinfo"));
        if (info != null) {
            for (String line : info.split("\n")) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        }
        return "?";
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
