/*
 * Weft's JNI fast path for the per-message system calls of the POSIX socket layer
 * (dev.weft.loop.posix.FastPath); the epoll poller's calls are in loop-epoll's weft_epoll.c. Primitives in, primitives out: each function returns
 * the call's result, or -errno when it fails. No exception is thrown, no Java object is touched,
 * nothing is allocated. EINTR is returned like any other errno; the Java callers retry.
 *
 * Built by the loop-api Maven build with the machine's gcc; when it is missing or the library does
 * not load, the Java side uses its JNA bindings instead.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include <jni.h>
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/socket.h>

/* Bumped when a signature changes, so a stale library is refused rather than misused. */
#define WEFT_FAST_VERSION 2

#define ADDR(a) ((void *) (intptr_t) (a))

JNIEXPORT jint JNICALL
Java_dev_weft_loop_posix_FastPath_version(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
    return WEFT_FAST_VERSION;
}

JNIEXPORT jint JNICALL
Java_dev_weft_loop_posix_FastPath_read(JNIEnv *env, jclass cls, jint fd, jlong buf, jint len) {
    (void) env; (void) cls;
    ssize_t n = read(fd, ADDR(buf), (size_t) len);
    return n >= 0 ? (jint) n : -errno;
}

JNIEXPORT jint JNICALL
Java_dev_weft_loop_posix_FastPath_send(JNIEnv *env, jclass cls, jint fd, jlong buf, jint len, jint flags) {
    (void) env; (void) cls;
    ssize_t n = send(fd, ADDR(buf), (size_t) len, flags);
    return n >= 0 ? (jint) n : -errno;
}

JNIEXPORT jlong JNICALL
Java_dev_weft_loop_posix_FastPath_sendmsg(JNIEnv *env, jclass cls, jint fd, jlong msghdr, jint flags) {
    (void) env; (void) cls;
    ssize_t n = sendmsg(fd, (const struct msghdr *) ADDR(msghdr), flags);
    return n >= 0 ? (jlong) n : -(jlong) errno;
}

/*
 * recvmmsg(fd, msgvec, vlen, flags, NULL) and sendmmsg(fd, msgvec, vlen, flags): the datagram
 * batch calls of PosixDatagramSocket. Added without a version bump: the Java side probes them once
 * (FastPath.MMSG), so a library built before them is still used for the calls above.
 */
JNIEXPORT jint JNICALL
Java_dev_weft_loop_posix_FastPath_recvmmsg(JNIEnv *env, jclass cls, jint fd, jlong msgvec, jint vlen, jint flags) {
    (void) env; (void) cls;
    int n = recvmmsg(fd, (struct mmsghdr *) ADDR(msgvec), (unsigned int) vlen, flags, NULL);
    return n >= 0 ? n : -errno;
}

JNIEXPORT jint JNICALL
Java_dev_weft_loop_posix_FastPath_sendmmsg(JNIEnv *env, jclass cls, jint fd, jlong msgvec, jint vlen, jint flags) {
    (void) env; (void) cls;
    int n = sendmmsg(fd, (struct mmsghdr *) ADDR(msgvec), (unsigned int) vlen, flags);
    return n >= 0 ? n : -errno;
}

JNIEXPORT jint JNICALL
Java_dev_weft_loop_posix_FastPath_mmsghdrSize(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
    return (jint) sizeof(struct mmsghdr);
}
