package org.neuralpipeline.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Linux {@code /proc} readings for the load benchmarks: a process's CPU time, memory and open descriptors, and
 * the whole machine's idle share. The load tools share the machine with the service they measure, so every
 * result says how busy the machine was.
 */
final class ProcStats {
    /** Clock ticks per second for {@code /proc/<pid>/stat} (getconf CLK_TCK; 100 on Linux x86). */
    static final long CLK_TCK = clockTicks();

    private ProcStats() {
    }

    /** utime + stime of the whole process (all threads, living and exited), in milliseconds. */
    static long cpuMillis(long pid) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        if (stat == null) {
            return -1;
        }
        // the command name may contain spaces and parentheses: fields start after the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of proc(5)
        return ticks * 1000 / CLK_TCK;
    }

    /**
     * Time on CPU of the process's living threads, in nanoseconds, from {@code /proc/<pid>/task/<tid>/schedstat}:
     * nanosecond resolution where {@link #cpuMillis} counts 10 ms ticks, so that a short round can be
     * measured. Threads that exited are missing; across one round the gateway's threads (event loops, GC,
     * JIT) live on.
     */
    static long schedNanos(long pid) {
        return sched(pid)[0];
    }

    /**
     * {run, wait}: nanoseconds the process's living threads spent on a CPU, and runnable but waiting for
     * one (schedstat's second field). Waiting is what a busy shared machine adds to every hop.
     */
    static long[] sched(long pid) {
        long run = 0;
        long wait = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                String s = read(task.resolve("schedstat"));
                if (s != null) {
                    String[] f = s.trim().split(" ");
                    run += Long.parseLong(f[0]);
                    wait += Long.parseLong(f[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
        return new long[] {run, wait};
    }

    /**
     * {@link #schedNanos} per thread name ({@code /proc/<pid>/task/<tid>/comm}, at most 15 characters, so
     * "vert.x-eventloo"): where a process's CPU goes (event loops, GC, JIT compiler threads).
     */
    static Map<String, Long> schedNanosByThread(long pid) {
        Map<String, Long> byName = new TreeMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                String s = read(task.resolve("schedstat"));
                String comm = read(task.resolve("comm"));
                if (s != null && comm != null) {
                    byName.merge(comm.trim(), Long.parseLong(s.substring(0, s.indexOf(' '))), Long::sum);
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return byName;
    }

    /** A {@code /proc/<pid>/status} field in kB (VmRSS, VmHWM), or -1. */
    static long statusKb(long pid, String field) {
        String status = read(Path.of("/proc", Long.toString(pid), "status"));
        if (status == null) {
            return -1;
        }
        for (String line : status.split("\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }

    /** Resets VmHWM (peak RSS) to the current RSS (proc(5), clear_refs "5"); false when not permitted. */
    static boolean resetPeakRss(long pid) {
        try {
            Files.writeString(Path.of("/proc", Long.toString(pid), "clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
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

    /** Jiffies of the whole machine from the first line of /proc/stat: {total, idle + iowait}. */
    static long[] machine() {
        String stat = read(Path.of("/proc/stat"));
        if (stat == null) {
            return new long[] {0, 0};
        }
        String[] f = stat.substring(0, stat.indexOf('\n')).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length && i <= 8; i++) { // user … steal; guest is already in user
            total += Long.parseLong(f[i]);
        }
        return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
    }

    /** Idle share (0..1) between two {@link #machine()} readings. */
    static double idleShare(long[] before, long[] after) {
        long total = after[0] - before[0];
        return total <= 0 ? Double.NaN : (double) (after[1] - before[1]) / total;
    }

    static String loadAverage() {
        String s = read(Path.of("/proc/loadavg"));
        return s == null ? "?" : String.join(" ", List.of(s.trim().split(" ")).subList(0, 3));
    }

    /** The soft limit on open files of this process, or -1. */
    static long openFilesLimit() {
        String limits = read(Path.of("/proc/self/limits"));
        if (limits == null) {
            return -1;
        }
        for (String line : limits.split("\n")) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        return -1;
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

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return Long.parseLong(out);
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
