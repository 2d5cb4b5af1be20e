/*
 * Weft's JNI fast path for the per-message system calls of the POSIX socket layer and the epoll
 * poller (dev.weft.loop.spi.posix.FastPath). Primitives in, primitives out: each function returns
 * the call's result, or -errno when it fails. No exception is thrown, no Java object is touched,
 * nothing is allocated. EINTR is returned like any other errno; the Java callers retry.
 *
 * Built by the loop-api Maven build with the machine's gcc; when it is missing or the library does
 * not load, the Java side uses its JNA bindings instead.
 */
#include <jni.h>
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif

/* Bumped when a signature changes, so a stale library is refused rather than misused. */
#define WEFT_FAST_VERSION 1

#define ADDR(a) ((void *) (intptr_t) (a))

JNIEXPORT jint JNICALL
Java_dev_weft_loop_spi_posix_FastPath_version(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
    return WEFT_FAST_VERSION;
}

JNIEXPORT jint JNICALL
Java_dev_weft_loop_spi_posix_FastPath_read(JNIEnv *env, jclass cls, jint fd, jlong buf, jint len) {
    (void) env; (void) cls;
    ssize_t n = read(fd, ADDR(buf), (size_t) len);
    return n >= 0 ? (jint) n : -errno;
}

JNIEXPORT jint JNICALL
Java_dev_weft_loop_spi_posix_FastPath_send(JNIEnv *env, jclass cls, jint fd, jlong buf, jint len, jint flags) {
    (void) env; (void) cls;
    ssize_t n = send(fd, ADDR(buf), (size_t) len, flags);
    return n >= 0 ? (jint) n : -errno;
}

JNIEXPORT jlong JNICALL
Java_dev_weft_loop_spi_posix_FastPath_sendmsg(JNIEnv *env, jclass cls, jint fd, jlong msghdr, jint flags) {
    (void) env; (void) cls;
    ssize_t n = sendmsg(fd, (const struct msghdr *) ADDR(msghdr), flags);
    return n >= 0 ? (jlong) n : -(jlong) errno;
}

#ifdef __linux__
JNIEXPORT jint JNICALL
Java_dev_weft_loop_spi_posix_FastPath_epollWait(JNIEnv *env, jclass cls, jint epfd, jlong events, jint max, jint timeout) {
    (void) env; (void) cls;
    int n = epoll_wait(epfd, (struct epoll_event *) ADDR(events), max, timeout);
    return n >= 0 ? n : -errno;
}

JNIEXPORT jint JNICALL
Java_dev_weft_loop_spi_posix_FastPath_epollCtl(JNIEnv *env, jclass cls, jint epfd, jint op, jint fd, jlong event) {
    (void) env; (void) cls;
    return epoll_ctl(epfd, op, fd, (struct epoll_event *) ADDR(event)) == 0 ? 0 : -errno;
}

JNIEXPORT jint JNICALL
Java_dev_weft_loop_spi_posix_FastPath_epollEventSize(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
    return (jint) sizeof(struct epoll_event);
}
#endif
