package dev.weft.loop;

import dev.weft.loop.spi.LoopBackend;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Picks the backend of new loops. Backends are found with {@link ServiceLoader}; the system
 * property {@value #BACKEND_PROPERTY} names one ({@code auto|epoll|kqueue|iocp|nio}, default
 * {@code auto}). {@code auto} takes the available backend with the highest rank (the native one of
 * the OS, else nio). Naming a backend that is absent or unavailable fails with the reason; there is
 * never a silent fallback. Thread-safe.
 */
public final class EventLoopPolicy {
    /** The system property that names the backend. */
    public static final String BACKEND_PROPERTY = "weft.loop.backend";

    private static volatile List<LoopBackend> cached;

    private EventLoopPolicy() {
    }

    /** Every backend on the class path, available or not, best rank first. */
    public static List<LoopBackend> backends() {
        List<LoopBackend> list = cached;
        if (list == null) {
            list = new ArrayList<>();
            for (LoopBackend b : ServiceLoader.load(LoopBackend.class, EventLoopPolicy.class.getClassLoader())) {
                list.add(b);
            }
            list.sort(Comparator.comparingInt(LoopBackend::autoPriority).reversed());
            cached = list = List.copyOf(list);
        }
        return list;
    }

    /**
     * The backend called {@code name} ({@code auto} for the policy's pick). Fails with
     * {@link IllegalArgumentException} for an unknown name and {@link IllegalStateException} (whose
     * cause is the backend's {@code unavailabilityCause}) for one that cannot run here.
     */
    public static LoopBackend backend(String name) {
        String n = name == null ? "auto" : name.trim().toLowerCase(Locale.ROOT);
        if (n.isEmpty() || n.equals("auto")) {
            return autoBackend();
        }
        for (LoopBackend b : backends()) {
            if (b.name().equals(n)) {
                if (!b.isAvailable()) {
                    Throwable cause = b.unavailabilityCause();
                    throw new IllegalStateException("backend '" + n + "' is unavailable: "
                            + (cause == null ? "no reason given" : cause.getMessage()), cause);
                }
                return b;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "': not on the class path"
                + " (backends found: " + names() + "; add the module dev.weft:loop-" + n + " if it exists)");
    }

    /** The backend named by {@value #BACKEND_PROPERTY}, or auto's pick. */
    public static LoopBackend selectBackend() {
        return backend(System.getProperty(BACKEND_PROPERTY, "auto"));
    }

    /** A new loop on {@link #selectBackend()}. */
    public static EventLoop newEventLoop() {
        return EventLoop.builder().backend(System.getProperty(BACKEND_PROPERTY, "auto")).build();
    }

    /** A new loop on the backend called {@code name}. */
    public static EventLoop newEventLoop(String name) {
        return EventLoop.builder().backend(name).build();
    }

    /** The available backend of highest rank. */
    public static LoopBackend autoBackend() {
        for (LoopBackend b : backends()) {
            if (b.autoPriority() >= 0 && b.isAvailable()) {
                return b;
            }
        }
        throw new IllegalStateException("no backend is available: " + describe());
    }

    /** One line a backend: what auto picks and why, and why the others were not picked. */
    public static String describe() {
        StringBuilder sb = new StringBuilder();
        LoopBackend pick = null;
        for (LoopBackend b : backends()) {
            if (pick == null && b.autoPriority() >= 0 && b.isAvailable()) {
                pick = b;
            }
        }
        sb.append("auto picks ").append(pick == null ? "nothing" : pick.name())
                .append(" (highest-ranked available backend on ").append(System.getProperty("os.name")).append(")\n");
        for (LoopBackend b : backends()) {
            sb.append("  ").append(b.name()).append(": rank ").append(b.autoPriority()).append(", ");
            if (b.isAvailable()) {
                sb.append("available");
                String d = b.detail();
                if (d != null && !d.isEmpty()) {
                    sb.append(" (").append(d).append(')');
                }
            } else {
                Throwable c = b.unavailabilityCause();
                sb.append("unavailable: ").append(c == null ? "no reason given" : c.getMessage());
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String names() {
        List<String> n = new ArrayList<>();
        for (LoopBackend b : backends()) {
            n.add(b.name());
        }
        return n.isEmpty() ? "none" : String.join(", ", n);
    }
}
