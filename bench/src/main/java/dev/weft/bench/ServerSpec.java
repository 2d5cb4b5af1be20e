package dev.weft.bench;

import java.util.List;
import java.util.function.IntFunction;

/**
 * One echo server the report can start: a Weft backend or a peer.
 *
 * @param name        the label in the report, for example {@code weft-epoll}, {@code netty-epoll}
 * @param kind        {@code weft}, {@code netty}, {@code c}, {@code python}, {@code node}
 * @param jvm         whether it is a JVM started from this jar (answers {@code alloc} on stdin)
 * @param command     the command line for a port
 * @param unavailable null when it can run here, else why not
 * @param version     what runs (library and runtime versions), for the machine section
 */
record ServerSpec(String name, String kind, boolean jvm, IntFunction<List<String>> command,
                  String unavailable, String version) {
    boolean available() {
        return unavailable == null;
    }
}
