export * from './quiz-input.schema';
export { QuizzesException, type QuizzesExceptionCode } from './quizzes.exception';
export {
  QuizzesService,
  type QuizStats,
  type QuizSubmissionOptions,
  type QuizSubmissionResult,
  type QuizView,
  type ServedQuiz,
} from './quizzes.service';
export { QuizzesModule } from './quizzes.module';
export { renderQuizPage } from './quiz-page';
