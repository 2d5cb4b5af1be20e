/*
 * The epoll poller's JNI fast path (dev.weft.loop.epoll.EpollFastPath): epoll_wait and epoll_ctl,
 * the two poller calls on the per-message path. Primitives in, primitives out: each function
 * returns the call's result, or -errno when it fails; nothing is allocated, no exception thrown.
 *
 * Built by the loop-epoll Maven build with the machine's gcc; when it is missing or the library
 * does not load, the poller uses its JNA bindings instead.
 */
#include <jni.h>
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>

/* Bumped when a signature changes, so a stale library is refused rather than misused. */
#define WEFT_EPOLL_VERSION 1

#define ADDR(a) ((void *) (intptr_t) (a))

JNIEXPORT jint JNICALL
Java_dev_weft_loop_epoll_EpollFastPath_version(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
    return WEFT_EPOLL_VERSION;
}

JNIEXPORT jint JNICALL
Java_dev_weft_loop_epoll_EpollFastPath_epollWait(JNIEnv *env, jclass cls, jint epfd, jlong events, jint max, jint timeout) {
    (void) env; (void) cls;
    int n = epoll_wait(epfd, (struct epoll_event *) ADDR(events), max, timeout);
    return n >= 0 ? n : -errno;
}

JNIEXPORT jint JNICALL
Java_dev_weft_loop_epoll_EpollFastPath_epollCtl(JNIEnv *env, jclass cls, jint epfd, jint op, jint fd, jlong event) {
    (void) env; (void) cls;
    return epoll_ctl(epfd, op, fd, (struct epoll_event *) ADDR(event)) == 0 ? 0 : -errno;
}

JNIEXPORT jint JNICALL
Java_dev_weft_loop_epoll_EpollFastPath_epollEventSize(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
    return (jint) sizeof(struct epoll_event);
}
