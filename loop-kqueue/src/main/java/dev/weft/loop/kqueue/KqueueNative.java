package dev.weft.loop.kqueue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.util.Locale;

/**
 * {@code kqueue(2)} and {@code kevent(2)} by JNA direct mapping: primitives and raw addresses only,
 * errno through {@code Native.getLastError()} read right after the call. The library is the C
 * library on macOS and FreeBSD and libkqueue ({@code "kqueue"}) on Linux, or the file named by
 * {@code -D}{@value #LIBRARY_PROPERTY}. Binding happens when this class initialises (any use of a
 * method or a non-constant field); the backend's probe catches the failure and reports it.
 *
 * <p><b>{@code struct kevent}.</b> {@code {uintptr_t ident; short filter; u_short flags; u_int
 * fflags; intptr_t data; void *udata;}}: 32 bytes on macOS, FreeBSD 11 and libkqueue, fields at
 * 0, 8, 10, 12, 16, 24. FreeBSD 12 made {@code data} an {@code int64_t} and appended
 * {@code uint64_t ext[4]} at 32 (64 bytes); its default {@code kevent} symbol ({@code FBSD_1.5})
 * takes that layout. The per-OS values are in {@link Abi}, each pinned by {@code KqueueNativeTest}.
 *
 * <p>The flag and filter values below are the same on macOS, FreeBSD and libkqueue
 * ({@code <sys/event.h>} of each); only {@code EVFILT_USER} differs (macOS -10, the others -11).
 */
final class KqueueNative {
    /** Names the library file to load instead of the platform default (libkqueue on Linux). */
    static final String LIBRARY_PROPERTY = "weft.kqueue.library";

    static final short EVFILT_READ = -1;
    static final short EVFILT_WRITE = -2;
    static final int EV_ADD = 0x0001;
    static final int EV_DELETE = 0x0002;
    static final int EV_CLEAR = 0x0020;
    static final int EV_ERROR = 0x4000;
    static final int EV_EOF = 0x8000;
    static final int NOTE_TRIGGER = 0x01000000;
    static final int NOTE_FFLAGSMASK = 0x00ffffff;
    static final int NOTE_FFCOPY = 0xc0000000;

    static final int KEVENT_IDENT = 0;
    static final int KEVENT_FILTER = 8;
    static final int KEVENT_FLAGS = 10;
    static final int KEVENT_FFLAGS = 12;
    static final int KEVENT_DATA = 16;
    static final int KEVENT_UDATA = 24;
    /** {@code ext[4]} of FreeBSD 12+; absent from the 32-byte layout. */
    static final int KEVENT_EXT = 32;
    /** {@code struct timespec {time_t tv_sec; long tv_nsec;}} on every 64-bit ABI here. */
    static final int TIMESPEC_SIZE = 16;

    // errno values this code branches on: equal on Linux, macOS and FreeBSD.
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EPIPE = 32;
    static final int EAGAIN_LINUX = 11;
    static final int EAGAIN_BSD = 35;

    /** The library this JVM binds: {@code -Dweft.kqueue.library}, else the OS's default. */
    static final String LIBRARY = Abi.libraryFor(System.getProperty("os.name", ""), System.getProperty(LIBRARY_PROPERTY));

    static {
        Native.register(KqueueNative.class, NativeLibrary.getInstance(LIBRARY));
    }

    private KqueueNative() {
    }

    static native int kqueue();

    /** {@code kevent(kq, changes, nchanges, events, nevents, timeout)}; {@code timeout} 0 is NULL (wait forever). */
    static native int kevent(int kq, long changes, int nChanges, long events, int nEvents, long timeout);

    /**
     * The C library's descriptor calls, for the wake-up pipe and the kqueue descriptor (libkqueue
     * only exports {@code kqueue} and {@code kevent}).
     */
    static final class Fd {
        static {
            Native.register(Fd.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        private Fd() {
        }

        static native int pipe(long fds);

        static native long read(int fd, long buf, long count);

        static native long write(int fd, long buf, long count);

        static native int close(int fd);
    }

    /** {@code F_DUPFD_CLOEXEC} of Linux, the only system where {@link Abi#libkqueue} holds. */
    static final int F_DUPFD_CLOEXEC_LINUX = 1030;

    /** {@code fcntl(2)} is variadic: bound through an interface mapping (see loop-api's LibCVarargs). */
    interface Fcntl extends Library {
        Fcntl INSTANCE = Native.load(Platform.C_LIBRARY_NAME, Fcntl.class);

        int fcntl(int fd, int cmd, Object... args);
    }

    /**
     * What differs between the systems kqueue runs on: the {@code struct kevent} size, the value of
     * {@code EVFILT_USER}, {@code O_NONBLOCK} and {@code EAGAIN} (the wake-up pipe's). Values only;
     * immutable.
     */
    static final class Abi {
        static final int F_SETFD = 2;
        static final int F_GETFL = 3;
        static final int F_SETFL = 4;
        static final int FD_CLOEXEC = 1;

        static final Abi MACOS = new Abi("macOS", 32, (short) -10, 0x4, EAGAIN_BSD, false);
        static final Abi FREEBSD_11 = new Abi("FreeBSD 11", 32, (short) -11, 0x4, EAGAIN_BSD, false);
        static final Abi FREEBSD_12 = new Abi("FreeBSD 12+", 64, (short) -11, 0x4, EAGAIN_BSD, false);
        /**
         * libkqueue 2.3 on Linux: the 32-byte layout, FreeBSD's EVFILT_USER, Linux's fcntl values,
         * and two limits of that version (see {@link #libkqueue}).
         */
        static final Abi LIBKQUEUE = new Abi("libkqueue", 32, (short) -11, 0x800, EAGAIN_LINUX, true);

        /** This JVM's, or null where kqueue has no table (Windows, ...). */
        static final Abi CURRENT = forOs(System.getProperty("os.name", ""), System.getProperty("os.version", ""));

        final String name;
        final int keventSize;
        final short evfiltUser;
        final int oNonblock;
        final int eagain;
        /**
         * libkqueue 2.3.1 (Debian's), behaviours the kernels do not have, found by running it:
         * <ul>
         *   <li>a {@code kevent} call adding a read or write filter with no room for events
         *       ({@code nevents} 0) fails with EFAULT, so changes are submitted with an event array
         *       and a zero timeout; what comes back there is a ready event (level-triggered, so
         *       reported again by the next poll; the EV_CLEAR wake-up is remembered instead) or an
         *       error, which this version returns with {@code data} set to the errno but without
         *       {@code EV_ERROR}, indistinguishable from a ready event: a failed change goes unseen;</li>
         *   <li>one descriptor holds one filter: an {@code EVFILT_WRITE} added next to an
         *       {@code EVFILT_READ} fails (EFAULT from its epoll registration), and when both are
         *       added in one call the second is dropped without an error. The write filter therefore
         *       goes on a {@code dup} of the descriptor, which watches the same socket;</li>
         *   <li>a write filter reports a failed connect with {@code EV_EOF} and the error in
         *       {@code fflags}, read from {@code SO_ERROR}, which then reads 0: the poller hands the
         *       error to the socket. Either filter does so on every {@code EPOLLERR}, with or without
         *       {@code EV_EOF} (a UDP socket's ICMP port unreachable comes without);</li>
         *   <li>a descriptor whose {@code fstat} type is none of file, pipe, socket or device (an
         *       eventfd, a pidfd) is refused with EBADF, a regular file is an always-readable
         *       surrogate, and {@code EVFILT_PROC} is not implemented on Linux: watches refuse the
         *       first two before the poller sees them ({@link KqueueUserHandles}), and a child's exit
         *       is watched by a waiter thread.</li>
         * </ul>
         */
        final boolean libkqueue;

        private Abi(String name, int keventSize, short evfiltUser, int oNonblock, int eagain, boolean libkqueue) {
            this.name = name;
            this.keventSize = keventSize;
            this.evfiltUser = evfiltUser;
            this.oNonblock = oNonblock;
            this.eagain = eagain;
            this.libkqueue = libkqueue;
        }

        /** The table for {@code os.name} and {@code os.version} ({@code "13.2-RELEASE"} on FreeBSD), or null. */
        static Abi forOs(String osName, String osVersion) {
            String n = osName.toLowerCase(Locale.ROOT);
            if (n.startsWith("mac") || n.startsWith("darwin")) {
                return MACOS;
            }
            if (n.startsWith("freebsd")) {
                return freeBsdMajor(osVersion) >= 12 ? FREEBSD_12 : FREEBSD_11;
            }
            if (n.startsWith("linux")) {
                return LIBKQUEUE;
            }
            return null;
        }

        /**
         * The library name or path for an {@code os.name} and a {@value KqueueNative#LIBRARY_PROPERTY}
         * value (may be null). Here, not in {@link KqueueNative}, so that naming it loads nothing.
         */
        static String libraryFor(String osName, String property) {
            if (property != null && !property.isBlank()) {
                return property.trim();
            }
            return osName.toLowerCase(Locale.ROOT).startsWith("linux") ? "kqueue" : Platform.C_LIBRARY_NAME;
        }

        /** The leading number of a FreeBSD {@code os.version}; 0 when there is none. */
        static int freeBsdMajor(String osVersion) {
            int major = 0;
            for (int i = 0; i < osVersion.length() && Character.isDigit(osVersion.charAt(i)); i++) {
                major = major * 10 + (osVersion.charAt(i) - '0');
            }
            return major;
        }

        @Override
        public String toString() {
            return name + " (struct kevent " + keventSize + " bytes, EVFILT_USER " + evfiltUser + ")";
        }
    }
}
