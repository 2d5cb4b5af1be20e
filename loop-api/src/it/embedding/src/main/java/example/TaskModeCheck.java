package example;

import dev.weft.loop.task.TaskMode;
import dev.weft.loop.task.Tasks;

/**
 * Exits with status 3 and says why when tasks would not run on virtual threads on a JDK 21+, which
 * is what {@code --add-opens java.base/java.lang=...} is for; prints the mode otherwise.
 */
public final class TaskModeCheck {
    private TaskModeCheck() {
    }

    public static void main(String[] args) {
        TaskMode mode = Tasks.mode();
        System.out.println("task mode: " + mode);
        if (Runtime.version().feature() >= 21 && mode != TaskMode.VIRTUAL) {
            System.err.println("tasks are not on virtual threads on JDK " + Runtime.version().feature()
                    + ": " + Tasks.virtualUnavailabilityCause());
            System.exit(3);
        }
    }
}
