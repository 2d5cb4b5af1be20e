package dev.weft.loop.core;

/**
 * Where a handle, future or task was made, for debug mode: the caller's stack without the loop's
 * own frames at its top.
 */
public final class CreationSite {
    private static final int MAX_FRAMES = 16;

    private CreationSite() {
    }

    /**
     * The current stack, without the frames on top of it of the classes that make handles, futures,
     * tasks and resource watches (this one, {@code ResourceWatch}, {@code EventLoop}, {@code Handle},
     * {@code TimerHandle}, {@code LoopFuture}, {@code Task}), at most 16 frames.
     */
    public static StackTraceElement[] capture() {
        StackTraceElement[] all = new Throwable().getStackTrace();
        int from = 0;
        while (from < all.length && isLoopFrame(all[from].getClassName())) {
            from++;
        }
        if (from == all.length) {
            from = 0;
        }
        int n = Math.min(MAX_FRAMES, all.length - from);
        StackTraceElement[] site = new StackTraceElement[n];
        System.arraycopy(all, from, site, 0, n);
        return site;
    }

    /** {@code "\n<heading>:\n\tat frame..."}, or "" for a null site. */
    public static String format(String heading, StackTraceElement[] site) {
        if (site == null) {
            return "";
        }
        StringBuilder b = new StringBuilder().append('\n').append(heading).append(':');
        for (StackTraceElement f : site) {
            b.append("\n\tat ").append(f);
        }
        return b.toString();
    }

    private static boolean isLoopFrame(String c) {
        return c.equals("dev.weft.loop.core.CreationSite") || c.equals("dev.weft.loop.core.ResourceWatch")
                || c.startsWith("dev.weft.loop.EventLoop")
                || c.equals("dev.weft.loop.Handle") || c.equals("dev.weft.loop.TimerHandle")
                || c.startsWith("dev.weft.loop.LoopFuture") || c.equals("dev.weft.loop.task.Task")
                || c.startsWith("dev.weft.loop.task.Task$");
    }
}
