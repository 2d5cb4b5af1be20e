/**
 * Coroutine-style tasks: sequential code that suspends at {@link dev.weft.loop.task.Tasks#await},
 * run as virtual threads scheduled by the loop (JDK 21+) or on hand-off threads; {@code gather},
 * {@code waitFor}, {@code timeout} scopes, {@link dev.weft.loop.task.TaskGroup}.
 */
package dev.weft.loop.task;
